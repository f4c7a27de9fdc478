using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DataTrust.Bench;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's server binaries, listening on loopback only, with
/// PostgreSQL's default durability (fsync and synchronous commit on) unless asked otherwise. Under
/// root it runs as the unprivileged postgres (or nobody) user, as PostgreSQL requires.
/// </summary>
internal sealed class PostgresCluster : IDisposable
{
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

    public static PostgresCluster Start(bool durable)
    {
        var binaries = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;
        if (binaries is null)
        {
            throw new InvalidOperationException("PostgreSQL server binaries were not found (scripts/test-deps.sh installs them).");
        }

        var runAs = OperatingSystem.IsLinux() && Environment.UserName == "root"
            ? (File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal)) ? "postgres" : "nobody")
            : null;
        var directory = Directory.CreateTempSubdirectory("datatrust-bench-pg-").FullName;
        if (runAs is not null)
        {
            Run("chown", ["-R", runAs, directory], null);
        }

        var cluster = new PostgresCluster(directory, binaries, runAs, FreePort());
        var data = Path.Combine(directory, "data");
        cluster.Tool("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]);
        var settings = durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        cluster.Tool("pg_ctl", ["start", "-w", "-t", "60", "-D", data, "-l", Path.Combine(directory, "server.log"), "-o",
            $"-p {cluster.Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} -c max_connections=200{settings}"]);
        return cluster;
    }

    public string CreateDatabase(string name)
    {
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
            Tool("pg_ctl", ["stop", "-m", "fast", "-w", "-D", Path.Combine(_directory, "data")]);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, MaxPoolSize = 100 }.ConnectionString;

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
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {output.Result} {error.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
