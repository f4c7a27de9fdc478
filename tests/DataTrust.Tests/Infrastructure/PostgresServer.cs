using DataTrust.Testing;

namespace DataTrust.Tests.Infrastructure;

/// <summary>
/// The one throwaway PostgreSQL cluster of a test run (tests/Shared/PostgresCluster.cs), started on
/// first use and removed when the test process exits. Each test host gets its own database in it.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<PostgresCluster> Shared = new(() =>
    {
        var cluster = PostgresCluster.Start(durable: false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static PostgresCluster Instance => Shared.Value;
}
