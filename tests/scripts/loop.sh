#!/test/scripts/loop.sh
