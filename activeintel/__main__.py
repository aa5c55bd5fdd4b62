from activeintel.cli import main

raise SystemExit(main())
