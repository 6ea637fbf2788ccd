#!/bin/sh
# Runs a GLib test program with TAP output for automake's tap-driver.
exec "$@" --tap
