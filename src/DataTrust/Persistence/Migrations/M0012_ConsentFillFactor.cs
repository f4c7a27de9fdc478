using DataTrust.Consent;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>
/// Consents keep 20 % of each page free on PostgreSQL, so the counters every release updates fit beside the old row
/// version (a HOT update: no index entries written). Existing pages gain the space as autovacuum frees it. SQLite has no such setting.
/// </summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261204000100_ConsentFillFactor")]
internal sealed class M0012_ConsentFillFactor : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        if (migration.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migration.Sql($"ALTER TABLE consents SET (fillfactor = {ConsentStorage.FillFactor})");
        }
    }
}
