#!/bin/sh
# docs/BULWARK-MIB.txt passes `smilint -l 3 -s` with no message at all.
# Debian ships no IETF MIBs (they are non-free), so the SMIv2 base modules
# our MIB imports are given as minimal stand-ins written here: just the
# names we import, enough for libsmi to resolve them. SMIPATH points only
# at them, so the check does not depend on what the host has installed.
# A deliberately broken copy must fail, so the check is known to bite.
set -u
top_srcdir=${top_srcdir:-.}
mib="$top_srcdir/docs/BULWARK-MIB.txt"
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

if ! command -v smilint >/dev/null 2>&1; then
	echo "1..0 # SKIP smilint (Debian smitools) is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bwmib.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/SNMPv2-SMI" <<'MIB'
SNMPv2-SMI DEFINITIONS ::= BEGIN
org            OBJECT IDENTIFIER ::= { iso 3 }
dod            OBJECT IDENTIFIER ::= { org 6 }
internet       OBJECT IDENTIFIER ::= { dod 1 }
private        OBJECT IDENTIFIER ::= { internet 4 }
enterprises    OBJECT IDENTIFIER ::= { private 1 }
MODULE-IDENTITY MACRO ::= BEGIN END
OBJECT-IDENTITY MACRO ::= BEGIN END
OBJECT-TYPE MACRO ::= BEGIN END
NOTIFICATION-TYPE MACRO ::= BEGIN END
Counter32 ::= [APPLICATION 1] IMPLICIT INTEGER (0..4294967295)
Gauge32 ::= [APPLICATION 2] IMPLICIT INTEGER (0..4294967295)
Unsigned32 ::= [APPLICATION 2] IMPLICIT INTEGER (0..4294967295)
TimeTicks ::= [APPLICATION 3] IMPLICIT INTEGER (0..4294967295)
Counter64 ::= [APPLICATION 6] IMPLICIT INTEGER (0..18446744073709551615)
END
MIB
cat > "$tmp/SNMPv2-TC" <<'MIB'
SNMPv2-TC DEFINITIONS ::= BEGIN
TEXTUAL-CONVENTION MACRO ::= BEGIN END
DisplayString ::= TEXTUAL-CONVENTION
    DISPLAY-HINT "255a"
    STATUS       current
    DESCRIPTION  "Printable text."
    SYNTAX       OCTET STRING (SIZE (0..255))
DateAndTime ::= TEXTUAL-CONVENTION
    DISPLAY-HINT "2d-1d-1d,1d:1d:1d.1d,1a1d:1d"
    STATUS       current
    DESCRIPTION  "A date and time."
    SYNTAX       OCTET STRING (SIZE (8 | 11))
END
MIB
cat > "$tmp/SNMPv2-CONF" <<'MIB'
SNMPv2-CONF DEFINITIONS ::= BEGIN
OBJECT-GROUP MACRO ::= BEGIN END
NOTIFICATION-GROUP MACRO ::= BEGIN END
MODULE-COMPLIANCE MACRO ::= BEGIN END
END
MIB

lint() { SMIPATH="$tmp" smilint -l 3 -s "$1" 2>&1; }

out=$(lint "$mib")
if [ -z "$out" ]; then
	ok "BULWARK-MIB passes smilint -l 3 -s without errors or warnings"
else
	notok "BULWARK-MIB passes smilint -l 3 -s without errors or warnings"
	echo "$out" | sed 's/^/# /'
fi

# The enterprise root and the notification numbers the agent uses.
if grep -q '::= { enterprises 62014 }' "$mib" &&
   grep -q '::= { bwNotifications 1 }' "$mib" &&
   grep -q '::= { bwNotifications 2 }' "$mib"; then
	ok "enterprise 62014, bwAlarmRaised = .0.1, bwAlarmCleared = .0.2"
else
	notok "enterprise 62014, bwAlarmRaised = .0.1, bwAlarmCleared = .0.2"
fi

# A copy with a dangling group member must be reported.
sed 's/bwBusDropped }/bwBusDropped, bwNoSuchObject }/' "$mib" > "$tmp/BULWARK-MIB"
out=$(lint "$tmp/BULWARK-MIB")
if [ -n "$out" ]; then
	ok "smilint reports a broken copy (the check can fail)"
else
	notok "smilint reports a broken copy (the check can fail)"
fi
echo "1..$n"
exit $fail
