#!/bin/sh
# A stand-in for any program a sweep may run: reads --x=VALUE, prints a loss.
for arg in "$@"; do
  case "$arg" in
    --x=*) x="${arg#--x=}" ;;
  esac
done
echo "loss: $x"
