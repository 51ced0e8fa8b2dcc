from webdlbench.cli import main

raise SystemExit(main())
