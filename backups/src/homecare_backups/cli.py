"""`homecare-backups`: etcd finalize|verify|restore|extract-pki, db backup|verify|restore|drill,
rekey.

Infra's CronJobs call `etcd finalize` and `db backup`; keep their flags stable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from homecare_backups import crypto, db, etcd_backup, etcd_restore, pg, pitr, pki, rekey
from homecare_backups.artifacts import set_of
from homecare_backups.errors import BackupError, RefusedError
from homecare_backups.metrics import MetricsTarget
from homecare_backups.progress import Progress
from homecare_backups.retention import RetentionPolicy

# Where ansible/roles/control_plane writes the EncryptionConfiguration.
KUBEADM_ENCRYPTION_CONFIG = Path("/etc/kubernetes/encryption/config.yaml")
EXIT_FAILED = 1
EXIT_REFUSED = 3


def _retention_and_crypto(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep-count",
        type=int,
        required=True,
        help="keep at most N complete backups (the newest is always kept)",
    )
    parser.add_argument(
        "--keep-days",
        type=float,
        required=True,
        help="delete backups older than D days (never the newest complete one)",
    )
    parser.add_argument(
        "--age-recipients-file",
        type=Path,
        required=True,
        help="age public keys (one per line) the backup is encrypted to",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--metrics-file",
        type=Path,
        help="node-exporter textfile to write (e.g. .../homecare_backup_etcd.prom)",
    )
    target.add_argument("--pushgateway-url", help="Pushgateway base URL, e.g. http://pgw:9091")


def _identity(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "--identity-file",
        type=Path,
        required=required,
        help="age private key file (AGE-SECRET-KEY-1...) to decrypt backups",
    )


def _pg_bin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pg-bin", type=Path, help="directory with pg_dump/pg_restore/psql (default: PATH)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="homecare-backups", description=__doc__)
    areas = parser.add_subparsers(dest="area", required=True)
    _add_etcd_commands(areas.add_parser("etcd", help="etcd snapshots + cluster PKI"))
    _add_db_commands(areas.add_parser("db", help="PostgreSQL dumps"))
    rekey_parser = areas.add_parser("rekey", help="re-encrypt backups to a new key (rotation)")
    rekey_parser.add_argument("directory", type=Path, help="backup directory (etcd and db sets)")
    rekey_parser.add_argument(
        "--age-recipients-file", type=Path, required=True, help="the NEW age public key(s)"
    )
    rekey_parser.add_argument("--yes", action="store_true", help="really rewrite the backups")
    _identity(rekey_parser, required=True)
    return parser


def _add_etcd_commands(etcd: argparse.ArgumentParser) -> None:
    etcd_cmds = etcd.add_subparsers(dest="command", required=True)
    fin = etcd_cmds.add_parser("finalize", help="verify, encrypt, copy and prune a fresh snapshot")
    fin.add_argument("--snapshot", type=Path, required=True, help="file from etcdctl snapshot save")
    fin.add_argument("--pki-dir", type=Path, required=True, help="kubeadm PKI dir (read-only)")
    fin.add_argument(
        "--encryption-config",
        type=Path,
        required=True,
        help="the API server's EncryptionConfiguration file",
    )
    fin.add_argument("--dest", type=Path, required=True, help="local backup directory")
    fin.add_argument("--offnode-dest", type=Path, help="off-node backup directory (worker mount)")
    _retention_and_crypto(fin)

    ver = etcd_cmds.add_parser("verify", help="check a snapshot or an encrypted backup set")
    ver.add_argument("file", type=Path)
    _identity(ver)

    res = etcd_cmds.add_parser("restore", help="kubeadm single control-plane restore (destructive)")
    res.add_argument("file", type=Path)
    res.add_argument("--data-dir", type=Path, required=True, help="NEW etcd data directory")
    res.add_argument("--manifest", type=Path, default=etcd_restore.KUBEADM_MANIFEST)
    res.add_argument(
        "--endpoint",
        default="https://127.0.0.1:2379",
        help="etcd client URL used to check it stopped / came back",
    )
    res.add_argument(
        "--etcd-pki-dir",
        type=Path,
        default=etcd_restore.KUBEADM_ETCD_PKI,
        help="dir with ca.crt, healthcheck-client.crt/.key for --endpoint",
    )
    res.add_argument("--stop-timeout", type=float, default=180)
    res.add_argument("--start-timeout", type=float, default=300)
    res.add_argument("--yes", action="store_true", help="really stop the control plane")
    _identity(res)

    ext = etcd_cmds.add_parser("extract-pki", help="write the backed-up PKI to a new machine")
    ext.add_argument("file", type=Path, help="any file of the backup set")
    ext.add_argument("--pki-dir", type=Path, required=True, help="e.g. /etc/kubernetes/pki")
    ext.add_argument(
        "--encryption-config",
        type=Path,
        default=KUBEADM_ENCRYPTION_CONFIG,
        help="where the API server's EncryptionConfiguration goes (Ansible's path by default)",
    )
    ext.add_argument("--yes", action="store_true", help="overwrite existing files")
    _identity(ext, required=True)


def _add_db_commands(dbp: argparse.ArgumentParser) -> None:
    db_cmds = dbp.add_subparsers(dest="command", required=True)
    bak = db_cmds.add_parser("backup", help="pg_dump -Fc, checksum, encrypt, copy, prune")
    bak.add_argument(
        "--database-url-env",
        required=True,
        help="name of the environment variable holding the database URL",
    )
    bak.add_argument("--dest", type=Path, required=True)
    bak.add_argument("--offnode-dest", type=Path)
    _retention_and_crypto(bak)
    _pg_bin(bak)

    dver = db_cmds.add_parser("verify", help="check a backup set (and its dump with a key)")
    dver.add_argument("file", type=Path)
    _identity(dver)
    _pg_bin(dver)

    dres = db_cmds.add_parser("restore", help="restore a backup over a database (destructive)")
    dres.add_argument("file", type=Path)
    dres.add_argument("--database-url", required=True)
    dres.add_argument("--no-owner", action="store_true", help="skip ownership and grants")
    dres.add_argument("--yes", action="store_true", help="really overwrite the database")
    _identity(dres, required=True)
    _pg_bin(dres)

    base = db_cmds.add_parser("basebackup", help="pg_basebackup for point-in-time recovery")
    base.add_argument("--database-url-env", required=True)
    base.add_argument("--dest", type=Path, required=True)
    _retention_and_crypto(base)
    _pg_bin(base)

    rec = db_cmds.add_parser("pitr", help="base backup + WAL archive → data dir at a time")
    rec.add_argument("file", type=Path, help="a pgbase-*.base.tar.gz.age backup")
    rec.add_argument("--wal-archive", type=Path, required=True)
    rec.add_argument("--target-time", required=True, help="ISO time with offset")
    rec.add_argument("--pgdata", type=Path, required=True, help="NEW data directory")
    rec.add_argument("--owner", help="chown the data dir to this user (e.g. postgres)")
    _identity(rec, required=True)

    drl = db_cmds.add_parser("drill", help="backup → restore into a fresh instance → compare")
    drl.add_argument("--database-url-env", required=True)
    drl.add_argument("--dest", type=Path, required=True)
    drl.add_argument(
        "--target-admin-url",
        help="empty server to restore into (default: start "
        "a scratch server with initdb/pg_ctl from --pg-bin)",
    )
    drl.add_argument("--run-as", help="unprivileged user for the scratch server when root")
    _retention_and_crypto(drl)
    _identity(drl, required=True)
    _pg_bin(drl)


def _metrics(args: argparse.Namespace) -> MetricsTarget:
    return MetricsTarget(textfile=args.metrics_file, pushgateway_url=args.pushgateway_url)


def _policy(args: argparse.Namespace) -> RetentionPolicy:
    return RetentionPolicy(keep_count=args.keep_count, keep_days=args.keep_days)


def _backup_options(args: argparse.Namespace) -> db.BackupOptions:
    return db.BackupOptions(
        source=pg.url_from_env(args.database_url_env),
        dest=args.dest,
        offnode_dest=getattr(args, "offnode_dest", None),
        policy=_policy(args),
        recipients_file=args.age_recipients_file,
        metrics=_metrics(args),
        tools=pg.PgTools(args.pg_bin),
    )


def _extract_pki(args: argparse.Namespace) -> None:
    progress = Progress(f"extracting the cluster PKI from {args.file.name} to {args.pki_dir}")
    backup = set_of(args.file)
    with progress.step("checking the set's checksums"):
        backup.verify_checksums()
    with progress.step("decrypting and writing the PKI files"):
        archive = crypto.decrypt_bytes(backup.path(etcd_backup.PKI_SUFFIX), args.identity_file)
        written = pki.unpack_pki(archive, args.pki_dir, args.encryption_config, args.yes)
        for path in written:
            progress.note(str(path))


def run(args: argparse.Namespace) -> None:
    if args.area == "rekey":
        count = rekey.rekey(args.directory, args.identity_file, args.age_recipients_file, args.yes)
        print(f"==> {count} backup sets now encrypted to {args.age_recipients_file}")
        return
    command = (args.area, args.command)
    if command == ("etcd", "finalize"):
        etcd_backup.finalize(
            etcd_backup.FinalizeOptions(
                snapshot=args.snapshot,
                pki_dir=args.pki_dir,
                encryption_config=args.encryption_config,
                dest=args.dest,
                offnode_dest=args.offnode_dest,
                policy=_policy(args),
                recipients_file=args.age_recipients_file,
                metrics=_metrics(args),
            )
        )
    elif command == ("etcd", "verify"):
        etcd_restore.verify(args.file, args.identity_file)
    elif command == ("etcd", "restore"):
        etcd_restore.restore(
            etcd_restore.RestoreOptions(
                file=args.file,
                data_dir=args.data_dir,
                manifest=args.manifest,
                yes=args.yes,
                identity_file=args.identity_file,
                endpoint=etcd_restore.Endpoint(args.endpoint, args.etcd_pki_dir),
                stop_timeout=args.stop_timeout,
                start_timeout=args.start_timeout,
            )
        )
    elif command == ("etcd", "extract-pki"):
        _extract_pki(args)
    elif command == ("db", "backup"):
        db.backup(_backup_options(args))
    elif command == ("db", "verify"):
        db.verify(args.file, args.identity_file, pg.PgTools(args.pg_bin))
    elif command == ("db", "restore"):
        db.restore(
            args.file,
            pg.parse_url(args.database_url),
            args.identity_file,
            pg.PgTools(args.pg_bin),
            yes=args.yes,
            no_owner=args.no_owner,
        )
    elif command == ("db", "basebackup"):
        pitr.basebackup(
            pitr.BaseBackupOptions(
                source=pg.url_from_env(args.database_url_env),
                dest=args.dest,
                policy=_policy(args),
                recipients_file=args.age_recipients_file,
                metrics=_metrics(args),
                tools=pg.PgTools(args.pg_bin),
            )
        )
    elif command == ("db", "pitr"):
        pitr.pitr(
            args.file,
            args.wal_archive,
            args.target_time,
            args.pgdata,
            args.identity_file,
            args.owner,
        )
    elif command == ("db", "drill"):
        target = pg.parse_url(args.target_admin_url) if args.target_admin_url else None
        db.drill(
            db.DrillOptions(
                backup=_backup_options(args),
                identity_file=args.identity_file,
                target_admin=target,
                run_as=args.run_as,
            )
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except RefusedError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return 0
