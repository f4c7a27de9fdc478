using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>The durable job queue (<c>jobs</c>) and its recurring schedules (<c>recurring_jobs</c>).</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261121000200_Jobs")]
internal sealed class M0002_Jobs : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("jobs", t => new
        {
            id = t.Column<Guid>(nullable: false),
            kind = t.Column<string>(maxLength: 100, nullable: false),
            payload = t.Column<string>(nullable: false),
            idempotency_key = t.Column<string>(maxLength: 200, nullable: true),
            schedule_name = t.Column<string>(maxLength: 100, nullable: true),
            state = t.Column<string>(maxLength: 16, nullable: false),
            attempts = t.Column<int>(nullable: false),
            max_attempts = t.Column<int>(nullable: false),
            run_at = t.Column<DateTimeOffset>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            started_at = t.Column<DateTimeOffset>(nullable: true),
            finished_at = t.Column<DateTimeOffset>(nullable: true),
            locked_by = t.Column<string>(maxLength: 200, nullable: true),
            lock_token = t.Column<Guid>(nullable: true),
            locked_until = t.Column<DateTimeOffset>(nullable: true),
            last_error = t.Column<string>(maxLength: 2000, nullable: true),
        }, constraints: t => t.PrimaryKey("pk_jobs", x => x.id));
        migration.CreateIndex("ix_jobs_idempotency_key", "jobs", "idempotency_key", unique: true);
        migration.CreateIndex("ix_jobs_state_run_at", "jobs", ["state", "run_at"]);
        migration.CreateIndex("ix_jobs_state_locked_until", "jobs", ["state", "locked_until"]);
        migration.CreateIndex("ix_jobs_kind_created_at", "jobs", ["kind", "created_at"]);

        migration.CreateTable("recurring_jobs", t => new
        {
            name = t.Column<string>(maxLength: 100, nullable: false),
            kind = t.Column<string>(maxLength: 100, nullable: false),
            payload = t.Column<string>(nullable: false),
            repeat_interval = t.Column<TimeSpan>(nullable: false),
            next_run_at = t.Column<DateTimeOffset>(nullable: false),
            last_enqueued_at = t.Column<DateTimeOffset>(nullable: true),
            last_job_id = t.Column<Guid>(nullable: true),
            updated_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_recurring_jobs", x => x.name));
        migration.CreateIndex("ix_recurring_jobs_next_run_at", "recurring_jobs", "next_run_at");
    }
}
