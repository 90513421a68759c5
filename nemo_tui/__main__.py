from nemo_tui.cli import main

raise SystemExit(main())
