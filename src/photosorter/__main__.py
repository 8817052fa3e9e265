from photosorter.cli import main

raise SystemExit(main())
