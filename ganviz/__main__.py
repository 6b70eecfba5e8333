from ganviz.cli import main

# Guarded: the training process is started with "spawn", which imports the main module again.
if __name__ == "__main__":
    raise SystemExit(main())
