from empathy_suite.cli import main

main()
