using System.CommandLine;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Verification;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Cli;

/// <summary>
/// <c>datatrust audit export --out FILE</c>, <c>audit verify FILE</c> (offline), <c>audit check</c>
/// (the live database), <c>audit seal</c> and <c>audit rotate-key</c>.
/// </summary>
internal static class AuditCommands
{
    private static readonly AuditActor Cli = AuditActor.System("cli");

    public static Command Create() => new("audit", "The tamper-evident audit log.")
    {
        Export(),
        Verify(),
        Check(),
        Seal(),
        RotateKey(),
    };

    private static Command Export()
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write the bundle (a ZIP file).", Required = true };
        var command = new Command("export", "Seal a checkpoint and write the whole log as an offline-verifiable bundle.") { output };
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var path = parse.GetValue(output)!.FullName;
            var temporary = path + ".partial";
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var summary = await services.GetRequiredService<AuditBundleExporter>().ExportAsync(file, Cli, ct);
                Console.WriteLine($"Exported {summary.Entries} entries and {summary.Checkpoints} checkpoint(s) to {path}.");
            }

            File.Move(temporary, path, overwrite: true);
            return 0;
        }, cancellationToken));
        return command;
    }

    private static Command Verify()
    {
        var bundle = new Argument<FileInfo>("FILE") { Description = "A bundle written by 'audit export' or the audit API." };
        var trusted = new Option<FileInfo?>("--trusted-checkpoint")
        {
            Description = "A checkpoint (JWS) you kept from earlier: the bundle must contain that exact tree, so a truncated and re-signed log is caught.",
        };
        var command = new Command("verify", "Verify an exported bundle offline: no network, no database. Exits 0 when intact, 1 otherwise.") { bundle, trusted };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(bundle)!;
            if (!file.Exists)
            {
                Console.Error.WriteLine($"datatrust: {file.FullName} does not exist.");
                return 1;
            }

            var trustedJws = parse.GetValue(trusted) is { } trustedFile ? File.ReadAllText(trustedFile.FullName) : null;
            var started = System.Diagnostics.Stopwatch.StartNew();
            var report = OfflineBundleVerifier.Verify(file.FullName, trustedJws);
            Print(report.Log);
            Console.WriteLine($"checkpoints: {report.Checkpoints} (matched {report.Log.CheckpointsMatched}), keys: {report.Keys}, consistency proofs: {report.ConsistencyProofs}, origin: {report.Origin ?? "?"}");
            Console.WriteLine($"time:        {started.Elapsed.TotalSeconds:0.00} s");
            return report.Log.Ok ? 0 : 1;
        });
        return command;
    }

    private static Command Check()
    {
        var command = new Command("check", "Verify the live log in the database (chain, hashes, checkpoints, stored tree). Exits 0 when intact, 1 otherwise.");
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var report = await services.GetRequiredService<LiveAuditVerifier>().VerifyAsync(trustedCheckpointJws: null, ct);
            Print(report);
            return report.Ok ? 0 : 1;
        }, cancellationToken));
        return command;
    }

    private static Command Seal()
    {
        var command = new Command("seal", "Seal a signed checkpoint of the log now, unless the latest one already covers it.");
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var checkpoint = await services.GetRequiredService<CheckpointSealer>().SealForScheduleAsync(ct);
            Console.WriteLine($"Checkpoint: {checkpoint.TreeSize} entries, root {Convert.ToHexStringLower(checkpoint.RootHash)}, key {checkpoint.KeyId}");
            Console.WriteLine(checkpoint.Jws);
            return 0;
        }, cancellationToken));
        return command;
    }

    private static Command RotateKey()
    {
        var command = new Command("rotate-key", "Retire the active checkpoint signing key and create a new one (old public keys stay published).");
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var keyId = await services.GetRequiredService<AuditSigningKeys>().RotateAsync(Cli, ct);
            Console.WriteLine($"The active audit signing key is now {keyId}.");
            return 0;
        }, cancellationToken));
        return command;
    }

    private static void Print(AuditVerificationReport report)
    {
        Console.WriteLine(report.Ok ? "OK: the audit log is intact." : "TAMPERED: the audit log does not verify.");
        Console.WriteLine($"entries:     {report.Entries}");
        Console.WriteLine($"root:        {report.RootHash}");
        if (report.FirstBadIndex is { } index)
        {
            Console.WriteLine($"first bad index: {index}");
        }

        foreach (var problem in report.Problems)
        {
            Console.WriteLine(problem.Index is { } at ? $"  [{at}] {problem.Message}" : $"  {problem.Message}");
        }
    }
}
