dnl One line per module or in-tree plugin: BW_MODULE(name) adds --disable-mod-NAME
dnl and the automake conditional MOD_NAME (dashes become underscores).
dnl Sources go in mk/mod-NAME.am.
BW_MODULE([hello])
BW_MODULE([cdr-csv])
BW_MODULE([snmp])
BW_MODULE([smtp-alarm])
BW_MODULE([cor])
BW_MODULE([sip])
BW_MODULE([srtp])
BW_MODULE([webadmin])
