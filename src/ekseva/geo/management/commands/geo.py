"""``ekseva geo seed`` loads the state, districts and post offices;
``ekseva geo import-lgd FILE`` loads an LGD sub-district, block or village export."""

from django.core.management.base import BaseCommand, CommandError

from ekseva.geo import services


class Command(BaseCommand):
    help = "Administrative units: 'seed' the bundled data, or 'import-lgd' an LGD CSV export."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="create or update the state, districts and post offices")
        seed.add_argument(
            "--districts",
            default="",
            help="comma-separated district names: load only their post offices",
        )
        seed.add_argument(
            "--force", action="store_true", help="rewrite even if the data files have not changed"
        )
        lgd = sub.add_parser("import-lgd", help="import an LGD sub-district, block or village CSV")
        lgd.add_argument("file")

    def handle(self, *args, action, **options):
        if action == "seed":
            names = [n.strip() for n in options["districts"].split(",") if n.strip()]
            try:
                services.seed_state(
                    self.stdout, limit_districts=names or None, force=options["force"]
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            return
        try:
            report = services.import_lgd(options["file"])
        except services.LgdImportError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.problems)} row(s) rejected; the other rows were kept")
