from tokenradar.cli import main

main()
