using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Policies;

/// <summary>Businesses and the transparency page read the policy in force, without signing in.</summary>
public sealed class GetPolicyEndpointTests : IClassFixture<GetPolicyEndpointTests.Host>
{
    private readonly Host _host;

    public GetPolicyEndpointTests(Host host) => _host = host;

    [Fact]
    public async Task The_catalogue_and_version_are_public()
    {
        using var client = _host.CreateClient();
        var policy = _host.Services.GetRequiredService<DataUsePolicy>();

        using var response = await client.GetAsync(new Uri("/api/policy", UriKind.Relative));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();
        document.GetProperty("version").GetString().ShouldBe(policy.Version);
        document.GetProperty("version").GetString().ShouldBe(PolicyLoaderVersionOfRepository());
        document.GetProperty("statistics").GetProperty("minimumGroupSize").GetInt32().ShouldBe(policy.StatisticsMinimumGroupSize);

        var purposes = document.GetProperty("purposes").EnumerateArray().ToList();
        purposes.Select(p => p.GetProperty("id").GetString()).ShouldBe(policy.Purposes.Select(p => p.Id));
        var health = purposes.Single(p => p.GetProperty("id").GetString() == "health-promotion");
        health.GetProperty("title").GetProperty("ja").GetString().ShouldBe(policy.FindPurpose("health-promotion")!.Title.Ja);
        health.GetProperty("maxConsentDuration").GetString().ShouldBe(policy.FindPurpose("health-promotion")!.MaxConsentDuration.ToString());
        health.GetProperty("dpv").EnumerateArray().Select(e => e.GetString()).ShouldBe(policy.FindPurpose("health-promotion")!.DpvPurposes);

        var categories = document.GetProperty("categories").EnumerateArray().ToList();
        var checkup = categories.Single(c => c.GetProperty("id").GetString() == "health-checkup");
        checkup.GetProperty("sensitivity").GetString().ShouldBe("special-care");
        checkup.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("id").GetString())
            .ShouldBe(policy.FindCategory("health-checkup")!.Fields.Select(f => f.Id));
        var ageBand = categories.Single(c => c.GetProperty("id").GetString() == "resident-basic")
            .GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "age_band");
        ageBand.GetProperty("type").GetString().ShouldBe("enum");
        ageBand.GetProperty("values").GetArrayLength().ShouldBe(policy.FindCategory("resident-basic")!.FindField("age_band")!.EnumValues.Length);

        var statisticsRule = document.GetProperty("minimisation").EnumerateArray().Single(r => r.GetProperty("purpose").GetString() == "city-statistics");
        statisticsRule.GetProperty("allow").EnumerateArray()
            .Single(a => a.GetProperty("category").GetString() == "resident-basic")
            .GetProperty("fields").EnumerateArray().Select(f => f.GetString())
            .ShouldBe(policy.AllowedFields("city-statistics", "resident-basic"));
        document.GetProperty("recipientCriteria").GetArrayLength().ShouldBe(policy.RecipientCriteria.Length);
    }

    [Fact]
    public async Task The_version_is_the_ETag_so_an_unchanged_policy_is_not_sent_again()
    {
        using var client = _host.CreateClient();
        var version = _host.Services.GetRequiredService<DataUsePolicy>().Version;

        using var first = await client.GetAsync(new Uri("/api/policy", UriKind.Relative));
        first.Headers.ETag.ShouldNotBeNull().Tag.ShouldBe($"\"{version}\"");

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/api/policy");
        revalidate.Headers.IfNoneMatch.Add(first.Headers.ETag);
        using var notModified = await client.SendAsync(revalidate);
        notModified.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await notModified.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/api/policy");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"sha256:0000\""));
        using var changed = await client.SendAsync(stale);
        changed.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_endpoint_is_in_the_OpenAPI_document_under_the_Policy_tag()
    {
        using var client = _host.CreateClient();

        var openApi = await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        var get = openApi.GetProperty("paths").GetProperty("/api/policy").GetProperty("get");
        get.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ShouldContain("Policy");
        get.GetProperty("responses").TryGetProperty("200", out _).ShouldBeTrue();
    }

    private static string PolicyLoaderVersionOfRepository() =>
        DataTrust.Policies.Loading.PolicyLoader.Load(RepositoryPaths.Policies).Version;

    public sealed class Host() : DataTrustFactory(StorageProvider.Sqlite);
}
