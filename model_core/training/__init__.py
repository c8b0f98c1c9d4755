"""Training: the seed's two stages with torch (the reference) or numpy (the same math).

    run.py           train(): which trainer (numpy unless TrainConfig.trainer or
                     $GRC_TRAINER asks for torch, or the literal procedure needs it)
    trainer.py       the torch trainer; torch_nets.py its networks, Adam and losses
    literal.py       the seed article's literal procedure (torch)
    np_trainer.py    the numpy trainer; np_nets.py its networks, Adam and losses
    train_common.py  what both trainers share (numpy): pools, batches, schedule, early stop
    refit.py         closed-form ridge refits of the output layers (float64)
    blas.py          numpy's BLAS held to one thread while training
"""
