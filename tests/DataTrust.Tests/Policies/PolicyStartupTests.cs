using DataTrust.Common;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataTrust.Tests.Policies;

/// <summary>A service with a broken policy refuses to start, tells the operator where the problem is, and touches nothing.</summary>
public sealed class PolicyStartupTests : IDisposable
{
    private readonly TestPolicyDirectory _policy = new();
    private readonly TestDatabase _database = TestDatabase.Create(StorageProvider.Sqlite);

    public void Dispose()
    {
        _policy.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task The_service_refuses_to_start_with_a_corrupt_policy_and_names_file_and_line()
    {
        _policy.Replace("categories.yaml", "sensitivity: special-care", "sensitivity: very-sensitive");
        await using var app = BuildService(_policy.Path);

        var exception = await Should.ThrowAsync<StartupException>(() => app.Services.PrepareDataTrustAsync(app.Environment));

        exception.Message.ShouldContain($"{_policy.FilePath("categories.yaml")}:{_policy.LineOf("categories.yaml", "very-sensitive")}: 'sensitivity' of category 'checkup'");
        Directory.EnumerateFiles(_database.DataDirectory, "*.db").ShouldBeEmpty("the database must not be touched before the policy is valid");
    }

    [Fact]
    public async Task The_service_starts_with_a_valid_policy_and_serves_it_as_a_singleton()
    {
        await using var app = BuildService(_policy.Path);

        await app.Services.PrepareDataTrustAsync(app.Environment);

        var policy = app.Services.GetRequiredService<DataUsePolicy>();
        policy.ShouldBeSameAs(app.Services.GetRequiredService<DataUsePolicy>());
        policy.Version.ShouldBe(_policy.Read().Policy!.Version);
    }

    private WebApplication BuildService(string policiesDirectory)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, ContentRootPath = _database.DataDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DataTrust:DataDirectory"] = _database.DataDirectory,
            ["DataTrust:PoliciesDirectory"] = policiesDirectory,
            ["Storage:Provider"] = _database.Provider.ToString(),
            ["ConnectionStrings:DataTrust"] = _database.ConnectionString,
            ["DataTrust:Issuer"] = "https://datatrust.example",
            ["Vault:Keys:1"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Audit:PseudonymKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        });
        builder.AddDataTrust();
        return builder.Build();
    }
}
