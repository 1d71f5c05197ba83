dist_noinst_SCRIPTS += tools/embed-cl.sh tools/setup.sh
