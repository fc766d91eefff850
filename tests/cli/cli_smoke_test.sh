#!/usr/bin/env bash
echo "cli_smoke: placeholder"
