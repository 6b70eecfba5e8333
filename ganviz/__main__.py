from ganviz.cli import main

raise SystemExit(main())
