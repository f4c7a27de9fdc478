using System.Diagnostics;
using DataTrust.Jobs;
using DataTrust.Persistence;

namespace DataTrust.Tests.Jobs;

/// <summary>
/// <c>datatrust jobs list</c> and <c>datatrust jobs retry</c>, run as the real binary against a running
/// service's SQLite file (the single-machine set-up where an operator is most likely to use the CLI).
/// The queries themselves are the admin API's, tested on both providers there; one CLI process costs
/// about two seconds, so this runs on one provider.
/// </summary>
public sealed class JobsCliTests
{
    private const StorageProvider Provider = StorageProvider.Sqlite;

    private readonly JobProbe _probe = new();

    [Fact]
    public async Task An_operator_lists_dead_lettered_jobs_and_retries_one_from_the_command_line()
    {
        using var host = new JobsTestHost(Provider, _probe);
        var dead = (await host.Queue.EnqueueAsync(FailingHandler.Kind, new { resident = "hanako@example.jp" }, new EnqueueOptions { MaxAttempts = 1 })).Id;
        var done = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload())).Id;
        await host.JobWhenAsync(dead, j => j.State == JobState.DeadLettered, "dead-lettering");
        await host.JobWhenAsync(done, j => j.State == JobState.Succeeded, "success");
        await host.StopAsync(); // no worker from here on: the retried job stays queued for the assertions
        using var observer = new JobsTestHost(Provider, _probe, JobsTestHost.JoinedTo(host, JobsTestHost.WebOnly));

        var list = await RunCliAsync(host, "jobs", "list", "--state", "dead_lettered");
        list.ExitCode.ShouldBe(0, list.Stderr);
        list.Stdout.ShouldContain(dead.ToString());
        list.Stdout.ShouldContain("dead_lettered");
        list.Stdout.ShouldContain("1/1");
        list.Stdout.ShouldNotContain(done.ToString());
        list.Stdout.ShouldNotContain("hanako");

        var retry = await RunCliAsync(host, "jobs", "retry", dead.ToString());
        retry.ExitCode.ShouldBe(0, retry.Stderr);
        retry.Stdout.ShouldContain($"Job {dead} is queued again.");

        (await observer.JobAsync(dead)).ShouldSatisfyAllConditions(j => j.State.ShouldBe(JobState.Queued), j => j.Attempts.ShouldBe(0));

        var succeeded = await RunCliAsync(host, "jobs", "retry", done.ToString());
        succeeded.ExitCode.ShouldBe(1);
        succeeded.Stderr.ShouldContain($"job {done} is succeeded; only failed or dead-lettered jobs can be retried");
        (await observer.JobAsync(done)).State.ShouldBe(JobState.Succeeded);

        var malformed = await RunCliAsync(host, "jobs", "retry", "not-a-job-id");
        malformed.ExitCode.ShouldBe(1);
        malformed.Stderr.ShouldContain("a job id is a UUID");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(JobsTestHost host, params string[] arguments)
    {
        var cli = AppContext.BaseDirectory.Replace(
            Path.Combine("tests", "DataTrust.Tests"), Path.Combine("src", "DataTrust.Cli"), StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = host.Database.DataDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(cli, "datatrust.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Storage__Provider"] = host.Provider.ToString();
        start.Environment["ConnectionStrings__DataTrust"] = host.Database.ConnectionString;
        start.Environment["DataTrust__DataDirectory"] = host.Database.DataDirectory;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
