using DataTrust.Persistence;
using Npgsql;

namespace DataTrust.Tests.Persistence;

/// <summary>PostgreSQL connections prepare frequent statements unless the operator set it otherwise.</summary>
public sealed class ConnectionSettingsTests
{
    [Fact]
    public void Auto_prepare_is_on_by_default_and_everything_else_is_kept()
    {
        var result = new NpgsqlConnectionStringBuilder(StorageServiceCollectionExtensions.WithAutoPrepare("Host=db;Database=datatrust;Username=dt;Password=p@ss;Maximum Pool Size=30"));

        result.MaxAutoPrepare.ShouldBe(50);
        (result.Host, result.Database, result.Username, result.Password, result.MaxPoolSize).ShouldBe(("db", "datatrust", "dt", "p@ss", 30));
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0")]
    [InlineData("Host=db;MaxAutoPrepare=5")]
    public void An_operators_choice_is_kept(string connectionString) =>
        StorageServiceCollectionExtensions.WithAutoPrepare(connectionString).ShouldBe(connectionString);
}
