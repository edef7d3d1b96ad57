#!/test/scripts/args.sh
