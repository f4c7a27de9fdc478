using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DataTrust.Testing;

/// <summary>
/// A real, throwaway PostgreSQL cluster from the machine's server binaries (scripts/test-deps.sh
/// installs them): initdb into a temp directory, pg_ctl start on a free loopback port, stopped and
/// removed on dispose. PostgreSQL refuses to run as root, so under root the cluster belongs to the
/// unprivileged <c>postgres</c> (or <c>nobody</c>) user. Shared by the test suite (fast, not durable)
/// and the benchmarks (PostgreSQL's default durability). Compiled into both projects as a linked file.
/// </summary>
internal sealed class PostgresCluster : IDisposable
{
    private const string Prefix = "datatrust-pg-";

    private readonly string _directory;
    private readonly string _binaries;
    private readonly string? _runAs;

    private PostgresCluster(string directory, string binaries, string? runAs, int port)
    {
        _directory = directory;
        _binaries = binaries;
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    /// <param name="durable">Keep fsync and synchronous commit on (benchmarks); off is faster (tests).</param>
    public static PostgresCluster Start(bool durable, int maxConnections = 400)
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Run through scripts/test.sh, which installs them.");
        var runAs = OperatingSystem.IsLinux() && Environment.UserName == "root" ? UnprivilegedUser() : null;
        RemoveAbandoned();
        var directory = Directory.CreateTempSubdirectory(Prefix).FullName;
        if (runAs is not null)
        {
            Run("chown", ["-R", runAs, directory], runAs: null);
        }

        var cluster = new PostgresCluster(directory, binaries, runAs, FreePort());
        var data = Path.Combine(directory, "data");
        cluster.Tool("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]);
        var speed = (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off") + Environment.GetEnvironmentVariable("DATATRUST_PG_OPTIONS");
        cluster.Tool("pg_ctl", ["start", "-w", "-t", "60", "-D", data, "-l", Path.Combine(directory, "server.log"), "-o",
            $"-p {cluster.Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} -c max_connections={maxConnections}{speed}"]);
        return cluster;
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            MaxPoolSize = 100,
            IncludeErrorDetail = true,
        }.ConnectionString;

    /// <summary>Creates an empty database (a unique name unless one is given) and returns its connection string.</summary>
    public string CreateDatabase(string? name = null)
    {
        name ??= "t_" + Guid.NewGuid().ToString("N")[..16];
        using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }

        return ConnectionString(name);
    }

    public void Dispose()
    {
        try
        {
            Tool("pg_ctl", ["stop", "-m", "immediate", "-w", "-D", Path.Combine(_directory, "data")]);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>
    /// Clusters of runs that were killed before they could clean up (each holds gigabytes): no live server,
    /// and untouched for an hour, so that one being started by a concurrent run is left alone.
    /// </summary>
    private static void RemoveAbandoned()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var pidFile = Path.Combine(directory, "data", "postmaster.pid");
            var running = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}");
            if (!running && Directory.GetLastWriteTimeUtc(directory) < DateTime.UtcNow.AddHours(-1))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // someone else's or still in use: not ours to remove
                }
            }
        }
    }

    private void Tool(string tool, IReadOnlyList<string> arguments) => Run(Path.Combine(_binaries, tool), arguments, _runAs);

    private static void Run(string file, IReadOnlyList<string> arguments, string? runAs)
    {
        var start = new ProcessStartInfo(runAs is null ? file : "runuser") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (runAs is not null)
        {
            foreach (var argument in new[] { "-u", runAs, "--", file })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} did not finish in 90 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {output.Result} {error.Result}");
        }
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("PG_BINDIR") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static string UnprivilegedUser() =>
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal)) ? "postgres" : "nobody";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
