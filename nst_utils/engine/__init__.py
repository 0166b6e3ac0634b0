"""The style-transfer engine, one room per concept.

* :mod:`~nst_utils.engine.settings`: every choice of a run, one frozen object that checks itself;
* :mod:`~nst_utils.engine.layers`, :mod:`~nst_utils.engine.checks`: the checks it uses;
* :mod:`~nst_utils.engine.stages`: the plan (pictures, coarse-to-fine stages, snapshots);
* :mod:`~nst_utils.engine.pictures`: resizing, the style at a scale, the starting image;
* :mod:`~nst_utils.engine.models`: VGG19 and its extractors, built once per process (the caller's own: each run afresh);
* :mod:`~nst_utils.engine.precision`: bfloat16, where the machine has it;
* :mod:`~nst_utils.engine.learner`: the learner's functions, tried before anything is traced;
* :mod:`~nst_utils.engine.objective`: J(G) from the learner's costs;
* :mod:`~nst_utils.engine.activations`: the pictures' activations (the targets), kept for the next run;
* :mod:`~nst_utils.engine.compiled`: compiled steps (the learner's ``train_step``; L-BFGS), kept for reuse;
* :mod:`~nst_utils.engine.remembered`: finished seeded runs, handed back when asked for again;
* :mod:`~nst_utils.engine.recorder`, :mod:`~nst_utils.engine.result`: history, snapshots, the result;
* :mod:`~nst_utils.engine.loop`: the run itself.

Learners and scripts call :func:`nst_utils.transfer.style_transfer`.
"""
