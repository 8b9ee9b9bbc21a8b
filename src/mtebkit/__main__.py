from mtebkit.cli import main

raise SystemExit(main())
