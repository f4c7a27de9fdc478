using System.CommandLine;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DataTrust.Cli;

/// <summary>
/// <c>datatrust keys status | add-kek | rotate-kek | destroy-kek --version N | rotate-dek --resident ID</c>
/// (and rotate-signing | list-signing, see <see cref="SigningKeyCommands"/>):
/// the vault's key hierarchy (docs/vault-keys.md). Rotations are resumable: after an interruption, run the
/// same command again. Exit codes: 0 done, 1 refused or failed, 2 nothing changed here (instructions printed).
/// </summary>
internal static class KeysCommands
{
    public static Command Create()
    {
        var keys = new Command("keys", "Keys: the vault's key-encryption keys and residents' data keys, and the token-signing keys.")
        {
            Status(), AddKek(), RotateKek(), DestroyKek(), RotateDek(),
        };
        foreach (var command in SigningKeyCommands.Create())
        {
            keys.Subcommands.Add(command);
        }

        return keys;
    }

    private static Command Status()
    {
        var command = new Command("status", "Show the key ring (no key material), data keys per KEK version, and erasures that earlier database copies can still undo.");
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            if (!await SchemaIsCurrentAsync(services, ct))
            {
                return 1;
            }

            var report = await services.GetRequiredService<VaultKeyStatus>().ReadAsync(ct);
            Console.WriteLine($"key ring:            {report.Source}");
            Console.WriteLine($"current KEK version: {report.CurrentKekVersion}");
            Console.WriteLine($"KEK versions:        {string.Join(", ", report.KekVersions)}");
            Console.WriteLine($"destroyed versions:  {(report.DestroyedKekVersions.Count == 0 ? "none recorded" : string.Join(", ", report.DestroyedKekVersions))}");
            foreach (var (version, count) in report.DataKeysByKekVersion.OrderBy(p => p.Key))
            {
                var note = report.KekVersions.Contains(version) ? "" : "  (KEK not in the ring: unreadable)";
                Console.WriteLine($"data keys under KEK {version}: {count}{note}");
            }

            Console.WriteLine($"records:             {report.Records}");
            Console.WriteLine(report.ErasuresNotYetInBackups == 0
                ? "erasures:            every erasure also holds for earlier database copies"
                : $"erasures:            {report.ErasuresNotYetInBackups} erasure(s) can still be undone by a database copy from before them until KEK versions up to {report.DestroyKekVersionsUpTo} are destroyed");
            return 0;
        }, cancellationToken));
        return command;
    }

    private static Command AddKek()
    {
        var command = new Command("add-kek", "Start a KEK rotation: add a new key-encryption key version and make it current (Development writes the key file; Production prints the steps).");
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var administration = services.GetRequiredService<KeyEncryptionKeyAdministration>();
            var ring = services.GetRequiredService<KeyRingProvider>().Ring;
            if (administration.CanWriteKeyFile)
            {
                if (!await SchemaIsCurrentAsync(services, ct))
                {
                    return 1;
                }

                var version = await administration.AddVersionAsync(ct);
                Console.WriteLine($"Key-encryption key version {version} was added to {ring.Source.FilePath} and is now current.");
                Console.WriteLine("Next: datatrust keys rotate-kek");
                return 0;
            }

            var next = ring.Versions.Concat(ring.DestroyedVersions).Max() + 1;
            Console.WriteLine($$"""
                The key ring comes from {{ring.Source}}: DataTrust does not write key material outside Development.
                To start a rotation to key-encryption key version {{next}}:
                  1. Generate 32 random bytes, base64-encoded, in your secret store (for example: openssl rand -base64 32).
                  2. Add it as version {{next}} on every instance, keeping version {{ring.CurrentVersion}} current
                     (key file: {"version": {{next}}, "key": "…"} in "keys"; environment: Vault__Keys__{{next}}); restart them all.
                  3. Then make it current on every instance ("current": {{next}}, or Vault__CurrentKey={{next}}); restart them all.
                     Two steps, so that no instance meets a data key wrapped under a version it does not have yet.
                  4. Run: datatrust keys rotate-kek
                  5. When no database copy needs version {{ring.CurrentVersion}} any more: datatrust keys destroy-kek --version {{ring.CurrentVersion}}
                """);
            return 2;
        }, cancellationToken));
        return command;
    }

    private static Command RotateKek()
    {
        var command = new Command("rotate-kek", "Rewrap every data key under the current key-encryption key version (records are not touched). Safe to run again.");
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            if (!await SchemaIsCurrentAsync(services, ct))
            {
                return 1;
            }

            var rotation = services.GetRequiredService<KeyEncryptionKeyRotation>();
            var result = await WithProgressAsync("Rewrapping data keys", progress => rotation.RewrapAllAsync(AuditActor.System("cli"), progress, ct));
            Console.WriteLine($"{result.Rewrapped} data key(s) rewrapped under key-encryption key version {result.KekVersion}.");
            Console.WriteLine($"{result.ProtectionKeysReencrypted} Data Protection key(s) (sign-in cookies, signing keys) re-encrypted under it.");
            if (!result.Complete)
            {
                await Console.Error.WriteLineAsync(
                    $"datatrust: {result.Unreadable} data key(s) failed to unwrap and {result.UnderMissingVersions} are under KEK versions not in the ring; they were not rewrapped.");
                return 1;
            }

            return 0;
        }, cancellationToken));
        return command;
    }

    private static Command DestroyKek()
    {
        var version = new Option<int>("--version") { Description = "The key-encryption key version to destroy.", Required = true };
        var command = new Command("destroy-kek", "Destroy a key-encryption key version no data key needs any more; database copies wrapped under it become unreadable.") { version };
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            if (!await SchemaIsCurrentAsync(services, ct))
            {
                return 1;
            }

            var kek = parse.GetValue(version);
            var administration = services.GetRequiredService<KeyEncryptionKeyAdministration>();
            if (await administration.WhyNotDestroyAsync(kek, ct) is { } refusal)
            {
                await Console.Error.WriteLineAsync($"datatrust: {refusal}");
                return 1;
            }

            if (administration.CanWriteKeyFile)
            {
                await administration.DestroyVersionAsync(kek, ct);
                Console.WriteLine($"Key-encryption key version {kek} was destroyed.");
                return 0;
            }

            var ring = services.GetRequiredService<KeyRingProvider>().Ring;
            Console.WriteLine($"""
                No data key in this database is wrapped under key-encryption key version {kek} any more.
                The key ring comes from {ring.Source}: remove version {kek} there on every instance (key file entry, or
                Vault__Keys__{kek}), and from every copy of key material (key backups, escrow); record it under
                "destroyed" in the key file so the number is never reused; restart the instances.
                Database copies that still need version {kek} (backups, replicas, WAL archives) become unreadable:
                that is what makes earlier erasures hold for them.
                """);
            return 2;
        }, cancellationToken));
        return command;
    }

    private static Command RotateDek()
    {
        var resident = new Option<Guid>("--resident") { Description = "The resident's id.", Required = true };
        var command = new Command("rotate-dek", "Give one resident a new data key, re-encrypt their records under it and retire the old one. Safe to run again.") { resident };
        command.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            if (!await SchemaIsCurrentAsync(services, ct))
            {
                return 1;
            }

            var rotation = services.GetRequiredService<DataKeyRotation>();
            var result = await WithProgressAsync("Re-encrypting records", progress => rotation.RotateCurrentAsync(parse.GetValue(resident), progress, ct));
            if (result is null)
            {
                await Console.Error.WriteLineAsync("datatrust: that resident has no data key.");
                return 1;
            }

            Console.WriteLine($"{result.Reencrypted} record(s) re-encrypted; {result.RetiredDataKeys} old data key version(s) retired.");
            if (result.Unreadable > 0)
            {
                await Console.Error.WriteLineAsync($"datatrust: {result.Unreadable} record(s) could not be decrypted and keep their old data key.");
                return 1;
            }

            return 0;
        }, cancellationToken));
        return command;
    }

    private static async Task<T> WithProgressAsync<T>(string description, Func<IProgress<RotationProgress>, Task<T>> run)
    {
        var result = default(T)!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description, maxValue: 1);
                result = await run(new InlineProgress(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    private static async Task<bool> SchemaIsCurrentAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync(cancellationToken);
        try
        {
            if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
            {
                await Console.Error.WriteLineAsync("datatrust: the database schema is not current: run datatrust db migrate first.");
                return false;
            }

            return true;
        }
        catch (Exception ex) when (services.GetRequiredService<DatabaseMigrator>().Describe(ex) is { } message)
        {
            await Console.Error.WriteLineAsync($"datatrust: {message}");
            return false;
        }
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool and could report after the bar closed).</summary>
    private sealed class InlineProgress(Action<RotationProgress> report) : IProgress<RotationProgress>
    {
        public void Report(RotationProgress value) => report(value);
    }
}
