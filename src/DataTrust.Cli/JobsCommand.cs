using System.CommandLine;
using System.Globalization;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Jobs;
using DataTrust.Jobs.Admin;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Cli;

/// <summary><c>datatrust jobs list [--state S] [--kind K] [--limit N]</c> and <c>datatrust jobs retry ID</c>.</summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var state = new Option<string?>("--state") { Description = "Only jobs in this state." };
        state.AcceptOnlyFromAmong([.. JobStates.All.Select(s => s.ToText())]);
        var kind = new Option<string?>("--kind") { Description = "Only jobs of this kind." };
        var limit = new Option<int>("--limit") { Description = $"At most this many jobs, newest first (1 to {ListJobs.MaxPageSize}).", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List jobs, newest first, with their state and attempts (never their payloads).") { state, kind, limit };
        list.SetAction((parse, cancellationToken) => CliHost.Run(parse, (services, _, ct) => WithCurrentSchema(services, async db =>
        {
            if (ListJobs.Parse(parse.GetValue(state), parse.GetValue(kind), 1, parse.GetValue(limit)) is not { } filter)
            {
                await Console.Error.WriteLineAsync($"datatrust: --kind must be a job kind and --limit 1 to {ListJobs.MaxPageSize}.");
                return 1;
            }

            var page = await ListJobs.RunAsync(db, filter, ct);
            Console.WriteLine($"{"ID",-36}  {"STATE",-13}  {"ATTEMPTS",-8}  {"RUN AT (UTC)",-19}  KIND");
            foreach (var job in page.Items)
            {
                var attempts = $"{job.Attempts}/{job.MaxAttempts}";
                Console.WriteLine($"{job.Id,-36}  {job.State,-13}  {attempts,-8}  {job.RunAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-19}  {job.Kind}");
            }

            Console.WriteLine($"{page.Items.Count} of {page.Total} job(s).");
            return 0;
        }, ct), cancellationToken));

        var id = new Argument<string>("id") { Description = "The job's id (a UUID)." };
        var retry = new Command("retry", "Send a failed or dead-lettered job back to the queue with a fresh set of attempts.") { id };
        retry.SetAction(async (parse, cancellationToken) =>
        {
            if (!Guid.TryParse(parse.GetValue(id), out var jobId))
            {
                await Console.Error.WriteLineAsync("datatrust: a job id is a UUID, like 0199a3c2-7d1e-7b2a-9c41-5e8f0a6b1d23.");
                return 1;
            }

            return await CliHost.Run(parse, (services, _, ct) => WithCurrentSchema(services, db => RetryAsync(services, db, jobId, ct), ct), cancellationToken);
        });

        return new Command("jobs", "Background jobs: list them, retry failed ones.") { list, retry };
    }

    private static async Task<int> RetryAsync(IServiceProvider services, DataTrustDbContext db, Guid jobId, CancellationToken ct)
    {
        var result = await RetryJob.RunAsync(
            db, services.GetRequiredService<IAuditLog>(), AuditActor.System("cli"), jobId, services.GetRequiredService<TimeProvider>().GetUtcNow(), ct);
        switch (result.Outcome)
        {
            case RetryJob.Outcome.Retried:
                Console.WriteLine($"Job {jobId} is queued again.");
                return 0;
            case RetryJob.Outcome.NotFound:
                await Console.Error.WriteLineAsync($"datatrust: there is no job {jobId}.");
                return 1;
            default:
                await Console.Error.WriteLineAsync($"datatrust: job {jobId} is {result.State!.Value.ToText()}; only failed or dead-lettered jobs can be retried.");
                return 1;
        }
    }

    private static async Task<int> WithCurrentSchema(IServiceProvider services, Func<DataTrustDbContext, Task<int>> body, CancellationToken cancellationToken)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync(cancellationToken);
        try
        {
            if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
            {
                await Console.Error.WriteLineAsync("datatrust: the database schema is not current: run `datatrust db migrate` (or start the service) first.");
                return 1;
            }

            return await body(db);
        }
        catch (Exception ex) when (services.GetRequiredService<DatabaseMigrator>().Describe(ex) is { } message)
        {
            await Console.Error.WriteLineAsync($"datatrust: {message}");
            return 1;
        }
    }
}
