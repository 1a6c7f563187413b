import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseListen, SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { printJson } from "../output";
import { STACK_NAME } from "./stack-name";

export interface InstallPlan {
  /** The stack this install adds an instance for (`slipway@<stack>.service`). */
  stack: string;
  /** Where its API listens; each stack on a host has its own. */
  listen: string;
  /** The environment `--port` is for. */
  env: string;
  /** The node binary the unit runs. @default this CLI's */
  node: string;
  /** The `slipway` entry point the unit runs. @default this CLI's */
  slipway: string;
}

/** Where an instance's settings live: `/etc/slipway/<stack>.env`, read by the unit. */
export const settingsFile = (stack: string) => `/etc/slipway/${stack}.env`;

/**
 * The templated systemd unit `slipway@.service`: one `slipway server` per stack, the instance
 * name being the stack (`systemctl start slipway@shop`). Each instance has its state in
 * /var/lib/slipway/<stack> (StateDirectory), its listen address in /etc/slipway/<stack>.env,
 * runs as the dedicated `slipway` user with the rest of the file system read-only, and keeps
 * only what the control plane and the processes it starts need (sockets, binding low ports).
 * No stack directory: each deploy brings the spec and the source.
 */
export function renderUnit(p: Pick<InstallPlan, "node" | "slipway">): string {
  // %i is the instance (the stack); ${SLIPWAY_LISTEN} (one argument) and $SLIPWAY_OPTIONS
  // (split into words, none when empty) come from its EnvironmentFile. Both are systemd's to
  // expand, so they are written after the quoting.
  const argv = [p.node, p.slipway, "server"].map(quoteArg);
  argv.push("--stack", "%i", "--data-dir", "/var/lib/slipway/%i");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a JS template
  argv.push("--listen", "${SLIPWAY_LISTEN}", "$SLIPWAY_OPTIONS");
  return `${[
    "[Unit]",
    "Description=Slipway control plane for stack %i",
    "After=network-online.target",
    "Wants=network-online.target",
    // An instance without its settings file is a mistake to show, not a start to retry.
    `AssertPathExists=${settingsFile("%i")}`,
    "",
    "[Service]",
    "Type=simple",
    "User=slipway",
    "Group=slipway",
    `EnvironmentFile=${settingsFile("%i")}`,
    `ExecStart=${argv.join(" ")}`,
    "StateDirectory=slipway/%i",
    "StateDirectoryMode=0700",
    "WorkingDirectory=/var/lib/slipway/%i",
    "Environment=HOME=/var/lib/slipway/%i",
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

/** One instance's settings: what differs between the stacks of a host. */
export function renderSettings(p: InstallPlan): string {
  parseListen(p.listen);
  return `${[
    `# slipway@${p.stack}.service: where stack ${p.stack}'s API listens (each stack of a host its own`,
    "# port), and more options of `slipway server` for it (--port, --edge-listen, --edge-cert, --edge-key,",
    "# --cert, --key). Restart the instance after a change: systemctl restart slipway@NAME",
    `SLIPWAY_LISTEN=${p.listen}`,
    `SLIPWAY_OPTIONS=--env ${p.env}`,
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

/**
 * A Debian install script for one stack's instance: packages, the `slipway` user, the unit
 * template, the instance's settings; safe to run again, and run once per stack on a host.
 */
export function renderInstallScript(p: InstallPlan): string {
  const unit = `slipway@${p.stack}.service`;
  return `${[
    "#!/bin/sh",
    `# Installs what \`slipway server\` needs on Debian 12+ and starts stack ${p.stack} under systemd.`,
    "# Run as root on the server: sh install.sh   (safe to run again; once per stack)",
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
    "# One user for every stack of the host: its state directories are private to it (0700).",
    "getent group slipway >/dev/null || groupadd --system slipway",
    "id -u slipway >/dev/null 2>&1 || useradd --system --gid slipway --home-dir /var/lib/slipway --no-create-home --shell /usr/sbin/nologin slipway",
    "install -d -o root -g root -m 0755 /var/lib/slipway /etc/slipway",
    `install -m 0644 ${sh(`${p.stack}.env`)} ${sh(settingsFile(p.stack))}`,
    "install -m 0644 slipway@.service /etc/systemd/system/slipway@.service",
    "systemctl daemon-reload",
    `systemctl enable ${sh(unit)}`,
    `systemctl restart ${sh(unit)}`,
    "",
    `echo ${sh(`${unit} is running. Its URL, certificate fingerprint and first admin token:`)}`,
    `echo ${sh(`  journalctl -u ${unit} --no-pager | grep -E 'control plane|fingerprint|admin token|context add'`)}`,
  ].join("\n")}\n`;
}

/**
 * `slipway server install --out DIR --stack NAME`: writes slipway@.service (the template, the
 * same for every stack), NAME.env (this stack's settings) and install.sh; installs nothing here.
 */
export function install(o: { out: string; stack: string; env: string; listen: string; json: boolean }) {
  if (!STACK_NAME.test(o.stack))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--stack: ${JSON.stringify(o.stack)} is not a stack name (1-32 lowercase letters, digits or '-', starting with a letter)`,
      "pass the `name` of the stack's slipway.config.ts, e.g. --stack shop",
      { field: "--stack" },
    );
  // Written into the settings file: a name, never a line of its own.
  if (!STACK_NAME.test(o.env))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--env: ${JSON.stringify(o.env)} is not an environment name (1-32 lowercase letters, digits or '-', starting with a letter)`,
      "pass the environment the edge's --port is for, e.g. --env prod",
      { field: "--env" },
    );
  const plan: InstallPlan = {
    stack: o.stack,
    listen: o.listen,
    env: o.env,
    node: process.execPath,
    slipway: resolve(process.argv[1]!),
  };
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const unit = join(out, "slipway@.service");
  const settings = join(out, `${o.stack}.env`);
  const script = join(out, "install.sh");
  writeFileAtomic(unit, renderUnit(plan));
  writeFileAtomic(settings, renderSettings(plan));
  writeFileAtomic(script, renderInstallScript(plan), 0o755);
  if (o.json) return printJson({ unit, settings, script, ...plan });
  process.stderr.write(
    `wrote ${unit}\nwrote ${settings}\nwrote ${script}\n` +
      `on the server (Debian): copy Slipway to ${plan.slipway.replace(/\/packages\/cli\/bin\/slipway\.js$/, "")}, then as root: sh ${script}\n` +
      `(another stack on the same host: install again with its own --stack and --listen port)\n`,
  );
}
