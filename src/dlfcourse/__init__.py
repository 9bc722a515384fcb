"""The instructor's tools: the ``dlf-course`` command and the pieces it is made of.

A distribution of its own (``src/dlfcourse/pyproject.toml``), never installed by
students: it holds the hidden checks. nbgrader stays the course format and the
gradebook; the score of every item is decided here, outside the student's process.

    cli, commands      the ``dlf-course`` command line and its subcommands: an instructor's error (a
                       CourseError) is one line and exit status 2, any other exception a fault (traceback, 1)
    course             the course directory, its nbgrader configuration and API
    state              what the commands remember about a course (``course.state``): seeds, gradings,
                       an interrupted ``--force`` run, when each submission was handed in
    settings           how a class is graded: one GradingSettings from the command line to the worker
                       (standard library only: the sandbox's side reads it too)
    errors             CourseError, the instructor's errors (each part raises its own kind of it)
    release            regenerate the student release with nbgrader

    intake/            handed-in files
      inbox            list a folder or an LMS zip (nested zips, backslashes, a shared top folder);
                       files are read on demand, under the limits of one archive
      archive, budget  zips read lazily: members counted before parsing, unpacked one at a time,
                       each against the archive's budget (bytes unpacked, packing ratio, files listed)
      lms              whose file is it: the Moodle, Canvas, Blackboard and generic layouts
      collect          import the notebooks into submitted/, one line for each file not collected
      handins          where each collected notebook came from (for the LMS feedback archive)
      roster           the class list (ids, names, emails, LMS ids)

    sandbox/           running untrusted code (imports only the standard library and numpy)
      worker_main      the program inside the sandbox: runs cells, answers calls (sent over stdin)
      codec            the data-only channel: raw array buffers and a JSON tree, no pickle
      worker           one sandboxed worker seen from the grader: requests with a deadline
      session          a submission's cells in a worker that is replaced (and replayed) when it dies
      policy           bubblewrap root with numpy, matplotlib and the kit; rlimits (from the GradingSettings)
      uids             a sandbox uid per grading slot, claimed with flock

    grader/            the trusted decisions
      student          call a student's function by name and get data or a finding back
      proxy            error carried forward: earlier functions answered with the reference's values
      boundary         returned values validated and converted once (float64 arrays, plain data)
      outputs          what of a notebook's own output is kept (a budget per notebook)
      repair           a submission's grading metadata rebuilt from the source before nbgrader
      places           cells named by their item and function; imports of the absent reference
      items            run an item's check and make its verdict
      verdict          the verdict of one item, kept in the test cell's metadata
      inputs           item seeds and the standard input situations of the checks
      notebook         grade one notebook: restore test cells, run the code cells, write the verdicts
      checks/          the hidden checks, declared as data: common (items, assignments), core (call,
                       compare, try the known mistakes), mistakes (the shared library of wrong variants),
                       generic, stability (NaN/inf probes), values, and one module per assignment,
                       a01_perceptron, a02_gradient_descent, a03_maximum_likelihood, a04_softmax,
                       a05_backprop, a06_optimisation
      api              ``grade_function``: grade a plain callable for one item, in this process
      scan             a static scan of the students' code for the report

    autograde/         orchestration of a class
      command          grade every submission in parallel; seeds recorded per student; resumable
      scratch          one submission graded by nbgrader in a scratch course, results as data
      trusted          nbgrader's autograde with Execute and SaveAutoGrades replaced
      jobs, ledger     the task's data, and the single writer of the gradebook
      pool, cluster    forked processes with a hard time limit; or the workers of a Dask cluster
      interrupts       Ctrl-C and SIGTERM acted on between students
      lock             one autograde per assignment at a time (flock; the holder is named)
      selfcheck        ``dlf-course check-worker``: does a sandboxed worker start and hold here?

    outputs/           what comes out of a graded assignment
      feedback         per-student HTML feedback with the verdicts, checked for hidden-test leaks
      notebook_html, sanitize   the notebook rendered inert: student HTML cleaned, a Content-Security-Policy
      contrast         WCAG contrast ratios (code colours darkened where under 4.5:1)
      stopped          cells that never ran to their end (a time limit, NotImplementedError)
      handback         feedback as a Moodle or Canvas bulk-upload zip
      export           grades as CSV, or as a Canvas or Moodle import
      report, report_html, charts   the class report
      similarity       pairs of near-identical submissions
      titles           item titles from the headings of the source notebook

    demo/              ``dlf-course demo``
      demo             a whole term on a temporary course
      sample           a tiny two-item assignment with its checks
      synthetic        synthetic students (correct, partial, broken, malicious)
      attacks          the code malicious students try
      lmszip           write a class as an LMS-style zip (demo, tests)

Run ``dlf-course --help``; the book's *Instructors* page explains the workflow.
"""
