using DataTrust.Persistence;
using Npgsql;

namespace DataTrust.Tests.Persistence;

/// <summary>PostgreSQL connections prepare frequent statements, plan them once and skip the pool reset unless the operator set each otherwise.</summary>
public sealed class ConnectionSettingsTests
{
    [Fact]
    public void Auto_prepare_and_no_reset_are_on_by_default_and_everything_else_is_kept()
    {
        var result = new NpgsqlConnectionStringBuilder(StorageServiceCollectionExtensions.WithPoolDefaults("Host=db;Database=datatrust;Username=dt;Password=p@ss;Maximum Pool Size=30"));

        result.MaxAutoPrepare.ShouldBe(50);
        result.NoResetOnClose.ShouldBeTrue();
        result.Options.ShouldBe("-c plan_cache_mode=force_generic_plan");
        (result.Host, result.Database, result.Username, result.Password, result.MaxPoolSize).ShouldBe(("db", "datatrust", "dt", "p@ss", 30));
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0", 0, true)]
    [InlineData("Host=db;MaxAutoPrepare=5", 5, true)]
    [InlineData("Host=db;No Reset On Close=false", 50, false)]
    [InlineData("Host=db;NoResetOnClose=False;Max Auto Prepare=7", 7, false)]
    public void An_operators_choice_is_kept(string connectionString, int maxAutoPrepare, bool noResetOnClose)
    {
        var result = new NpgsqlConnectionStringBuilder(StorageServiceCollectionExtensions.WithPoolDefaults(connectionString));

        (result.MaxAutoPrepare, result.NoResetOnClose).ShouldBe((maxAutoPrepare, noResetOnClose));
    }

    [Theory]
    [InlineData("Host=db;Options=-c search_path=dt", "-c search_path=dt -c plan_cache_mode=force_generic_plan")]
    [InlineData("Host=db;Options=-c plan_cache_mode=auto", "-c plan_cache_mode=auto")]
    public void Server_options_the_operator_gave_are_kept(string connectionString, string options) =>
        new NpgsqlConnectionStringBuilder(StorageServiceCollectionExtensions.WithPoolDefaults(connectionString)).Options.ShouldBe(options);
}
