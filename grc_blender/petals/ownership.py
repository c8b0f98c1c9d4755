"""Which petal meshes the extension may write: only the one it made for that petal.

A petal's own mesh is one the extension made (`Mesh.grc.generated`) that no other object
uses (one user, plus a fake user; linked duplicates of petals get their own copies).
Anything else is the artist's and is left alone with a reason the panel shows: a mesh linked in from a library, a mesh swapped in by Link Object
Data or a data-block switch, a mesh shared with another object, shape keys, a topology that
is no longer our grid (Join, an applied modifier, edit-mode topology edits), vertices moved
or by hand.
"""
from __future__ import annotations

from typing import Any

from ..access import mesh_settings

RESET_HINT = "Reset Petal Mesh gives it a new generated mesh and leaves this one as it is"


def grid_counts(rows: int, cols: int) -> tuple[int, int, int]:
    """(vertices, edges, faces) of a rows x cols quad grid."""
    return rows * cols, rows * (cols - 1) + (rows - 1) * cols, (rows - 1) * (cols - 1)


def grid_rows(mesh: Any, cols: int) -> int:
    """Rows of the quad grid `mesh` is (0 if its counts are not a grid of `cols` columns)."""
    if cols < 2:
        return 0
    nv = len(mesh.vertices)
    if nv % cols:
        return 0
    rows = nv // cols
    if rows < 2 or (len(mesh.edges), len(mesh.polygons)) != grid_counts(rows, cols)[1:]:
        return 0
    if len(mesh.loops) != 4 * len(mesh.polygons):
        return 0
    return rows


def expected_users(mesh: Any) -> int:
    return 1 + int(mesh.use_fake_user)


def refusal(obj: Any, g: Any, mesh: Any, n_cols: int, sharing_petals: int = 1) -> str:
    """'' if the extension may write `obj`'s mesh, else why not (one line for the panel).

    `sharing_petals`: how many petals use `mesh` as their data (linked duplicates)."""
    name = obj.name
    lib = obj.library or mesh.library      # linked, or a library override's linked mesh
    if lib is not None:
        return (f"petal '{name}' is linked from '{lib.filepath}': its mesh belongs to that "
                f"file and is not regenerated here (make it local to animate it here)")
    if not mesh_settings(mesh).generated:
        return (f"petal '{name}' uses mesh '{mesh.name}', which the extension did not make "
                f"for it: left alone. {RESET_HINT}")
    if mesh.users != expected_users(mesh) and not (
            sharing_petals > 1 and mesh.users == sharing_petals + int(mesh.use_fake_user)):
        return (f"petal '{name}': its mesh '{mesh.name}' is shared with another object: "
                f"left alone. {RESET_HINT}")
    if mesh.shape_keys is not None:
        return (f"petal '{name}' has shape keys: a generated mesh would override them, so it is "
                f"left alone (remove the shape keys, or {RESET_HINT[0].lower() + RESET_HINT[1:]})")
    if g.hand_edited:
        return (f"petal '{name}' was edited by hand: its vertices are kept. {RESET_HINT}")
    if g.cols and g.cols != n_cols:
        return (f"petal '{name}' was made for a {g.cols}-column model but its model now has "
                f"{n_cols} columns: add a new petal")
    if grid_rows(mesh, n_cols) == 0 and len(mesh.vertices):
        return (f"petal '{name}': its mesh is no longer a {n_cols}-column grid (joined, an "
                f"applied modifier or edited topology): left alone. {RESET_HINT}")
    return ""


def give_own_meshes(objects: list, meshes: list) -> list[str]:
    """Linked duplicates (Alt+D) share one mesh: every petal after the first gets a copy, so
    each can show its own context. Main thread, outside renders only."""
    notes = []
    first: dict[int, Any] = {}
    for i, (obj, mesh) in enumerate(zip(objects, meshes)):
        ptr = mesh.as_pointer()
        if ptr not in first:
            first[ptr] = obj
            continue
        if not mesh_settings(mesh).generated or mesh.library is not None:
            continue
        copy = mesh.copy()
        obj.data = copy
        meshes[i] = copy
        kind = "flower" if obj.grc.is_flower else "petal"
        notes.append(f"{kind} '{obj.name}' shared its mesh with '{first[ptr].name}' (a linked "
                     f"duplicate): it now has its own mesh '{copy.name}'")
    return notes


def claim(obj, mesh, any_mesh: bool) -> None:
    """A petal made by a script (an empty mesh) or saved before meshes were marked: its mesh
    becomes the extension's if nothing else uses it and, unless `any_mesh` (explicit
    regenerate, file load), it holds nothing to lose. Main thread only."""
    settings = mesh_settings(mesh)
    if settings.generated or mesh.users != 1 + int(mesh.use_fake_user) \
            or mesh.library is not None or obj.library is not None \
            or mesh.shape_keys is not None or not (any_mesh or len(mesh.vertices) == 0):
        return
    settings.generated = True


def flower_refusal(obj: Any, mesh: Any) -> str:
    """'' if the extension may write a one-object flower's mesh, else why not."""
    name = obj.name
    lib = obj.library or mesh.library
    if lib is not None:
        return (f"flower '{name}' is linked from '{lib.filepath}': its mesh belongs to that "
                f"file and is not regenerated here (make it local to animate it here)")
    if not mesh_settings(mesh).generated:
        return (f"flower '{name}' uses mesh '{mesh.name}', which the extension did not make "
                f"for it: left alone")
    if mesh.users != expected_users(mesh):
        return f"flower '{name}': its mesh '{mesh.name}' is shared with another object: left alone"
    if mesh.shape_keys is not None:
        return (f"flower '{name}' has shape keys: a generated mesh would override them, so "
                f"it is left alone")
    if obj.grc.hand_edited:
        return (f"flower '{name}' was edited by hand: its vertices are kept (Reset Petal "
                f"Mesh gives it a new generated mesh)")
    return ""
