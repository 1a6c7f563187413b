import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseListen } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { printJson } from "../output";

export interface InstallPlan {
  stackDir: string;
  env: string;
  listen: string;
  dataDir: string;
  /** The node binary the unit runs. @default this CLI's */
  node: string;
  /** The `slipway` entry point the unit runs. @default this CLI's */
  slipway: string;
}

/**
 * The systemd unit for `slipway server`: a dedicated `slipway` user, its state in
 * StateDirectory, the rest of the file system read-only, only what the control plane and the
 * processes it starts need (sockets, binding the edge's low ports).
 */
export function renderUnit(p: InstallPlan): string {
  parseListen(p.listen);
  const underVarLib = /^\/var\/lib\/([a-z0-9][a-z0-9._-]*)$/.exec(p.dataDir);
  const argv = [p.node, p.slipway, "server", "--dir", p.stackDir, "--env", p.env];
  argv.push("--listen", p.listen, "--data-dir", p.dataDir);
  return `${[
    "[Unit]",
    `Description=Slipway control plane (stack in ${p.stackDir}, environment ${p.env})`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    "User=slipway",
    "Group=slipway",
    `ExecStart=${argv.map(quoteArg).join(" ")}`,
    ...(underVarLib
      ? [`StateDirectory=${underVarLib[1]}`, "StateDirectoryMode=0700"]
      : [`ReadWritePaths=${p.dataDir}`]),
    `WorkingDirectory=${p.dataDir}`,
    `Environment=HOME=${p.dataDir}`,
    // SIGTERM stops only the control plane: the stack keeps serving and the next start adopts it.
    "KillMode=process",
    "Restart=on-failure",
    "RestartSec=2",
    "UMask=0077",
    "LimitNOFILE=65536",
    // Hardening: nothing of the system is writable but the state directory.
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "SystemCallArchitectures=native",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    // The edge may bind 80/443 as this unprivileged user; no other capability is kept.
    "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
    "AmbientCapabilities=CAP_NET_BIND_SERVICE",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ].join("\n")}\n`;
}

/** systemd's quoting: double quotes around anything with a space, quote, backslash or specifier. */
function quoteArg(a: string): string {
  const escaped = a.replaceAll("%", "%%").replaceAll("$", "$$");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** POSIX sh single quotes: nothing inside is special. */
const sh = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;

/** A Debian install script: packages, the user, the unit; safe to run again. */
export function renderInstallScript(p: InstallPlan): string {
  return `${[
    "#!/bin/sh",
    "# Installs what `slipway server` needs on Debian 12+ and starts it under systemd.",
    "# Run as root on the server: sh install.sh   (safe to run again)",
    "set -eu",
    'cd "$(dirname "$0")"',
    "",
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get update",
    "apt-get install -y --no-install-recommends postgresql redis-server haproxy zstd openssl git ca-certificates",
    "# The services Debian starts by default are not used: Slipway runs its own instances.",
    "systemctl disable --now postgresql redis-server haproxy 2>/dev/null || true",
    "",
    `node=${sh(p.node)}`,
    'major=$("$node" -p "process.versions.node.split(\'.\')[0]" 2>/dev/null || echo 0)',
    'if [ "$major" -lt 20 ]; then',
    '  echo "Slipway needs Node.js 20 or newer at $node (found: $major); install it, then run this again" >&2',
    "  exit 1",
    "fi",
    `if [ ! -f ${sh(p.slipway)} ]; then`,
    `  echo ${sh(`no slipway at ${p.slipway}: copy the Slipway checkout there (npm ci in it), then run this again`)} >&2`,
    "  exit 1",
    "fi",
    "",
    "getent group slipway >/dev/null || groupadd --system slipway",
    `id -u slipway >/dev/null 2>&1 || useradd --system --gid slipway --home-dir ${sh(p.dataDir)} --no-create-home --shell /usr/sbin/nologin slipway`,
    `install -d -o slipway -g slipway -m 0700 ${sh(p.dataDir)}`,
    "install -m 0644 slipway.service /etc/systemd/system/slipway.service",
    "systemctl daemon-reload",
    "systemctl enable --now slipway.service",
    "",
    'echo "slipway is running. Its URL, certificate fingerprint and first admin token:"',
    "echo \"  journalctl -u slipway --no-pager | grep -E 'control plane|fingerprint|admin token|context add'\"",
  ].join("\n")}\n`;
}

/** `slipway server install --out DIR`: writes slipway.service and install.sh; installs nothing here. */
export function install(o: {
  out: string;
  stackDir: string;
  env: string;
  listen: string;
  dataDir: string;
  json: boolean;
}) {
  const plan: InstallPlan = {
    stackDir: resolve(o.stackDir),
    env: o.env,
    listen: o.listen,
    dataDir: resolve(o.dataDir),
    node: process.execPath,
    slipway: resolve(process.argv[1]!),
  };
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const unit = join(out, "slipway.service");
  const script = join(out, "install.sh");
  writeFileAtomic(unit, renderUnit(plan));
  writeFileAtomic(script, renderInstallScript(plan), 0o755);
  if (o.json) return printJson({ unit, script, ...plan });
  process.stderr.write(
    `wrote ${unit}\nwrote ${script}\n` +
      `on the server (Debian): copy Slipway to ${plan.slipway.replace(/\/packages\/cli\/bin\/slipway\.js$/, "")} and your stack to ${plan.stackDir}, then as root: sh ${script}\n`,
  );
}
