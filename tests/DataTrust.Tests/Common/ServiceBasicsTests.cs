using System.Net;
using System.Text.Json;
using DataTrust.Common.Http;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Common;

public sealed class ServiceBasicsTests : IDisposable
{
    private readonly DataTrustFactory _factory = new(StorageProvider.Sqlite, new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
    });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Liveness_answers_without_touching_the_database()
    {
        var response = await _factory.CreateClient().GetAsync("/health/live");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await Json(response);
        body.GetProperty("status").GetString().ShouldBe("Healthy");
        body.GetProperty("checks").EnumerateObject().ShouldBeEmpty();
    }

    [Fact]
    public async Task Readiness_reports_the_database_and_its_schema()
    {
        var response = await _factory.CreateClient().GetAsync("/health/ready");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var database = (await Json(response)).GetProperty("checks").GetProperty("database");
        database.GetProperty("status").GetString().ShouldBe("Healthy");
        database.GetProperty("data").GetProperty("provider").GetString().ShouldBe("Sqlite");
        database.GetProperty("data").GetProperty("pendingMigrations").GetInt32().ShouldBe(0);
    }

    [Theory]
    [InlineData("/account/login")]
    [InlineData("/health/ready")]
    [InlineData("/api/does-not-exist")]
    public async Task Every_response_carries_the_security_headers(string path)
    {
        var response = await _factory.CreateClient().GetAsync(path);

        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe(SecurityHeaders.ContentSecurityPolicy);
        SecurityHeaders.ContentSecurityPolicy.ShouldContain("frame-ancestors 'none'");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
        response.Headers.Contains("Strict-Transport-Security").ShouldBeFalse("HSTS is for Production only");
    }

    [Fact]
    public async Task Outside_Development_HTTPS_responses_carry_HSTS()
    {
        using var production = new DataTrustFactory(StorageProvider.Sqlite) { Environment = "Production" };
        var client = production.CreateClient(new() { BaseAddress = new Uri("https://datatrust.example") });

        var response = await client.GetAsync("/health/live");

        response.Headers.GetValues("Strict-Transport-Security").Single().ShouldStartWith("max-age=");
    }

    [Fact]
    public async Task An_unknown_API_path_answers_with_RFC_9457_problem_details()
    {
        var response = await _factory.CreateClient().GetAsync("/api/does-not-exist");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await Json(response);
        problem.GetProperty("status").GetInt32().ShouldBe(404);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        problem.GetProperty("traceId").GetString().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task A_browser_asking_for_a_missing_page_gets_a_readable_page_not_JSON()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        request.Headers.Accept.ParseAdd("text/html");

        var response = await _factory.CreateClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("ページが見つかりません");
        html.ShouldNotContain("Exception");
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_HTTP_APIs()
    {
        var response = await _factory.CreateClient().GetAsync("/openapi/v1.json");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var document = await Json(response);
        document.GetProperty("openapi").GetString().ShouldStartWith("3.");
        document.GetProperty("paths").ValueKind.ShouldBe(JsonValueKind.Object);
    }

    [Fact]
    public async Task Request_logs_never_contain_the_query_string()
    {
        await _factory.CreateClient().GetAsync("/account/login?login_hint=canary.person%40example.jp");

        _factory.Logs.All.ShouldContain("/account/login");
        _factory.Logs.All.ShouldNotContain("canary.person");
    }

    [Fact]
    public async Task Sensitive_endpoints_are_rate_limited_per_address()
    {
        using var limited = new DataTrustFactory(StorageProvider.Sqlite, new Dictionary<string, string?>
        {
            ["RateLimiting:Sensitive:Burst"] = "3",
            ["RateLimiting:Sensitive:PermitsPerMinute"] = "6",
        });
        var client = limited.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await client.GetAsync("/account/login")).StatusCode);
        }

        statuses.Take(3).ShouldAllBe(s => s == HttpStatusCode.OK);
        statuses.Last().ShouldBe(HttpStatusCode.TooManyRequests);
        var rejected = await client.GetAsync("/account/login");
        rejected.Headers.RetryAfter.ShouldNotBeNull();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
