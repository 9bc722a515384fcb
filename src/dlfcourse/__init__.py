"""The instructor's tools: the ``dlf-course`` command and the pieces it is made of.

Each step of a term has a module; nbgrader (through its Python API) does the
grading work, these modules add parallelism, a sandbox, per-item grades and reports.

    cli, commands   the ``dlf-course`` command line and its subcommands
    course          the course directory, its nbgrader configuration and API
    release         regenerate the student release with nbgrader
    inbox, collect  read handed-in files (folder or LMS zip), import them into submitted/
    autograde       grade every submission in parallel (``pool``: forked workers with time limits)
    execute         nbgrader's Execute with a notebook time limit and dead-kernel handling
    kernelspec      the grading kernel spec (ipc sockets, started through the sandbox)
    sandbox         rlimits + an unprivileged uid + bubblewrap namespaces around each kernel
    kernel          the kernel's start-up inside the sandbox (imports the grading code first)
    diagnoses       what went wrong in each graded cell of an autograded notebook
    feedback        per-student HTML feedback without hidden tests, checked for leaks
    export          per-item grades as CSV from the gradebook
    report, report_html, charts   the class report
    sample, synthetic, attacks, lmszip, demo   a tiny assignment, synthetic students, ``dlf-course demo``

Run ``dlf-course --help``; the book's *Instructors* page explains the workflow.
"""
