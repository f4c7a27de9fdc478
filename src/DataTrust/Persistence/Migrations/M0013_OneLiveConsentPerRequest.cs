using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>
/// At most one live (requested, given or paused) consent per resident and data request. The ledger checks this before
/// it writes, but two grants of one request sent at once (a double click, two tabs) could both pass the check; now the
/// second one's insert fails and is answered as a conflict. The composite index also serves the resident's foreign key.
/// The filter is written out as it was on the day (the model's is <c>ConsentStorage.LiveFilter</c>): a migration never changes.
/// </summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261207000100_OneLiveConsentPerRequest")]
internal sealed class M0013_OneLiveConsentPerRequest : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateIndex("ix_consents_resident_id_data_request_id", "consents", ["resident_id", "data_request_id"], unique: true, filter: "state IN ('Requested', 'Given', 'Paused')");
        migration.DropIndex("ix_consents_resident_id", "consents");
    }
}
