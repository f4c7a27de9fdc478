using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>The vault: residents' wrapped data keys, their encrypted records, and erasure receipts.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261121000400_Vault")]
internal sealed class M0004_Vault : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("vault_data_keys", t => new
        {
            resident_id = t.Column<Guid>(nullable: false),
            version = t.Column<int>(nullable: false),
            kek_version = t.Column<int>(nullable: false),
            wrapped_key = t.Column<byte[]>(nullable: false),
            encryptions = t.Column<long>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_vault_data_keys", x => new { x.resident_id, x.version }));
        migration.CreateIndex("ix_vault_data_keys_kek_version", "vault_data_keys", "kek_version");

        migration.CreateTable("vault_records", t => new
        {
            id = t.Column<Guid>(nullable: false),
            resident_id = t.Column<Guid>(nullable: false),
            category_id = t.Column<string>(maxLength: 100, nullable: false),
            schema_version = t.Column<int>(nullable: false),
            data_key_version = t.Column<int>(nullable: false),
            nonce = t.Column<byte[]>(nullable: false),
            ciphertext = t.Column<byte[]>(nullable: false),
            tag = t.Column<byte[]>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_vault_records", x => x.id);
            t.ForeignKey("fk_vault_records_vault_data_keys_resident_id_data_key_version", x => new { x.resident_id, x.data_key_version },
                "vault_data_keys", ["resident_id", "version"], onDelete: ReferentialAction.Restrict);
        });
        migration.CreateIndex("ix_vault_records_resident_id_category_id", "vault_records", ["resident_id", "category_id"]);
        migration.CreateIndex("ix_vault_records_resident_id_data_key_version", "vault_records", ["resident_id", "data_key_version"]);

        migration.CreateTable("vault_erasures", t => new
        {
            id = t.Column<Guid>(nullable: false),
            erased_at = t.Column<DateTimeOffset>(nullable: false),
            kek_version_at_erasure = t.Column<int>(nullable: false),
            data_keys_destroyed = t.Column<int>(nullable: false),
            records_deleted = t.Column<int>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_vault_erasures", x => x.id));
        migration.CreateIndex("ix_vault_erasures_kek_version_at_erasure", "vault_erasures", "kek_version_at_erasure");
    }
}
