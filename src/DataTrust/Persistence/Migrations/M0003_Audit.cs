using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>The audit log: entries, the head row appends lock, stored Merkle nodes, signed checkpoints and signing keys.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261121000300_Audit")]
internal sealed class M0003_Audit : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("audit_entries", t => new
        {
            seq = t.Column<long>(nullable: false),
            recorded_at = t.Column<DateTimeOffset>(nullable: false),
            actor_type = t.Column<string>(maxLength: 16, nullable: false),
            actor_id = t.Column<string>(maxLength: 200, nullable: false),
            action = t.Column<string>(maxLength: 64, nullable: false),
            subject = t.Column<string>(maxLength: 64, nullable: true),
            recipient = t.Column<string>(maxLength: 200, nullable: true),
            consent = t.Column<string>(maxLength: 64, nullable: true),
            objects = t.Column<string>(nullable: false),
            details = t.Column<string>(nullable: false),
            prev_hash = t.Column<byte[]>(nullable: false),
            leaf_hash = t.Column<byte[]>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_audit_entries", x => x.seq));
        migration.CreateIndex("ix_audit_entries_recorded_at", "audit_entries", "recorded_at");
        migration.CreateIndex("ix_audit_entries_subject_seq", "audit_entries", ["subject", "seq"]);
        migration.CreateIndex("ix_audit_entries_actor_id_seq", "audit_entries", ["actor_id", "seq"]);
        migration.CreateIndex("ix_audit_entries_action_seq", "audit_entries", ["action", "seq"]);
        migration.CreateIndex("ix_audit_entries_recipient_seq", "audit_entries", ["recipient", "seq"]);
        migration.CreateIndex("ix_audit_entries_consent_seq", "audit_entries", ["consent", "seq"]);

        migration.CreateTable("audit_head", t => new
        {
            id = t.Column<int>(nullable: false),
            size = t.Column<long>(nullable: false),
            last_hash = t.Column<byte[]>(nullable: false),
            frontier = t.Column<byte[]>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_audit_head", x => x.id));

        // The empty log: size 0, and the zero hash the first entry chains to.
        var postgres = migration.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL";
        migration.InsertData(
            "audit_head",
            ["id", "size", "last_hash", "frontier"],
            postgres ? ["integer", "bigint", "bytea", "bytea"] : ["INTEGER", "INTEGER", "BLOB", "BLOB"],
            [1, 0L, new byte[32], Array.Empty<byte>()]);

        migration.CreateTable("audit_tree_nodes", t => new
        {
            level = t.Column<int>(nullable: false),
            position = t.Column<long>(nullable: false),
            hash = t.Column<byte[]>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_audit_tree_nodes", x => new { x.level, x.position }));

        migration.CreateTable("audit_checkpoints", t => new
        {
            id = t.Column<long>(nullable: false).Generated(),
            tree_size = t.Column<long>(nullable: false),
            root_hash = t.Column<byte[]>(nullable: false),
            sealed_at = t.Column<DateTimeOffset>(nullable: false),
            key_id = t.Column<string>(maxLength: 64, nullable: false),
            jws = t.Column<string>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_audit_checkpoints", x => x.id));
        migration.CreateIndex("ix_audit_checkpoints_tree_size", "audit_checkpoints", "tree_size");

        migration.CreateTable("audit_signing_keys", t => new
        {
            key_id = t.Column<string>(maxLength: 64, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            retired_at = t.Column<DateTimeOffset>(nullable: true),
            public_jwk = t.Column<string>(nullable: false),
            protected_private_key = t.Column<string>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_audit_signing_keys", x => x.key_id));
    }
}
