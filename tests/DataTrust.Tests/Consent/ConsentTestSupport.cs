using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Audit.Storage;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Consent;

/// <summary>Captures the webhooks the service posts, answering with <see cref="Status"/>.</summary>
public sealed class WebhookCapture : HttpMessageHandler
{
    private readonly List<(Uri Url, string ContentType, string Body)> _requests = [];

    public HttpStatusCode Status { get; set; } = HttpStatusCode.Accepted;

    public IReadOnlyList<(Uri Url, string ContentType, string Body)> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsStringAsync(cancellationToken);
        lock (_requests)
        {
            _requests.Add((request.RequestUri!, request.Content.Headers.ContentType!.MediaType!, body));
        }

        return new HttpResponseMessage(Status);
    }
}

/// <summary>The service with a hand-moved clock, no background worker (tests run jobs by hand), and captured webhooks.</summary>
public sealed class ConsentHost(StorageProvider provider) : OidcFactory(provider, new Dictionary<string, string?>
{
    ["DataTrust:Roles"] = "web",
    ["RateLimiting:Sensitive:Burst"] = "10000",
    ["RateLimiting:Sensitive:PermitsPerMinute"] = "60000",
})
{
    public const string RecipientSecret = "recipient-secret-0123456789-abcdefghij";

    public WebhookCapture Webhooks { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
            services.AddHttpClient(ConsentWebhooks.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Webhooks));
    }

    /// <summary>An approved recipient <paramref name="clientId"/> with one published mobility request: the operator's and the recipient's clients, and the request.</summary>
    public async Task<(HttpClient Admin, HttpClient Recipient, Guid RequestId)> PublishedRequestAsync(string clientId)
    {
        var admin = await OperatorAsync(this);
        await RecipientAsync(admin, clientId);
        var recipient = await RecipientClientAsync(clientId);
        return (admin, recipient, await PublishAsync(recipient, admin));
    }

    /// <summary>An OAuth client of the given kind, registered as a recipient and (unless told otherwise) approved through the admin API.</summary>
    public Task RecipientAsync(HttpClient operatorClient, string clientId, bool approve = true, ClientKind kind = ClientKind.BusinessRecipient) =>
        RegisterRecipientAsync(this, operatorClient, new Client
        {
            ClientId = clientId,
            DisplayName = clientId,
            Kind = kind,
            TokenEndpointAuthMethod = "client_secret_basic",
            SecretHash = ClientSecretHasher.Hash(RecipientSecret),
            RedirectUris = [Oidc.RedirectUri],
            GrantTypes = ["authorization_code", "refresh_token", "client_credentials"],
            Scopes = ["datatrust.requests", "datatrust.consents"],
        }, approve);

    /// <summary>Adds the client, registers it as a recipient through the admin API and, if asked, approves it on every criterion.</summary>
    public static async Task RegisterRecipientAsync(OidcFactory host, HttpClient operatorClient, Client client, bool approve = true)
    {
        await Oidc.AddClientAsync(host, client);
        var clientId = client.ClientId;
        (await operatorClient.PostAsJsonAsync("/api/admin/recipients", new { clientId, organisationName = "Org " + clientId })).StatusCode.ShouldBe(HttpStatusCode.Created);
        if (approve)
        {
            var response = await operatorClient.PostAsJsonAsync($"/api/admin/recipients/{clientId}/review", new { decision = "approve", criteria = AllCriteria() });
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }
    }

    public static Dictionary<string, bool> AllCriteria() => new()
    {
        ["privacy-certification"] = true, ["privacy-officer"] = true, ["security-measures"] = true, ["purpose-limitation"] = true,
        ["no-onward-transfer"] = true, ["data-deletion"] = true, ["incident-response"] = true, ["data-location"] = true, ["ethics-review"] = true,
    };

    /// <summary>A client_credentials token of the recipient, as a client ready to call the recipient API.</summary>
    public Task<HttpClient> RecipientClientAsync(string clientId) => ClientCredentialsClientAsync(this, clientId, RecipientSecret);

    /// <summary>An HTTP client carrying a fresh client_credentials access token of the given client.</summary>
    public static async Task<HttpClient> ClientCredentialsClientAsync(OidcFactory host, string clientId, string secret)
    {
        var http = host.CreateClient();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, clientId, secret));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await Oidc.Json(response)).GetProperty("access_token").GetString());
        return http;
    }

    public static object MobilityRequest(string duration = "P6M", string purpose = "mobility-improvement", object[]? categories = null, string accessMode = "periodic") => new
    {
        purposeId = purpose,
        categories = categories ?? [new { category = "mobility", fields = new[] { "trip_date", "transport_mode" } }, new { category = "resident-basic", fields = new[] { "age_band" } }],
        duration,
        accessMode,
        maxReleasesPerPeriod = accessMode == "periodic" ? 4 : (int?)null,
        frequencyPeriod = accessMode == "periodic" ? "P1M" : null,
        benefit = new { ja = "ポイント", en = "Points" },
        explanation = new { ja = "説明", en = "Explanation" },
    };

    /// <summary>Drafts, submits and approves a request; returns its id.</summary>
    public static async Task<Guid> PublishAsync(HttpClient recipient, HttpClient operatorClient, object? request = null, bool sensitiveDataApproved = false)
    {
        var created = await recipient.PostAsJsonAsync("/api/recipient/data-requests", request ?? MobilityRequest());
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await Oidc.Json(created)).GetProperty("id").GetGuid();
        (await recipient.PostAsync($"/api/recipient/data-requests/{id}/submit", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var reviewed = await operatorClient.PostAsJsonAsync($"/api/admin/data-requests/{id}/review", new { decision = "approve", sensitiveDataApproved });
        reviewed.StatusCode.ShouldBe(HttpStatusCode.OK, await reviewed.Content.ReadAsStringAsync());
        return id;
    }

    public async Task<Guid> AccountIdAsync(string email)
    {
        await using var db = NewDbContext();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    internal async Task<List<AuditEntry>> AuditAsync(string? action = null)
    {
        await using var db = NewDbContext();
        var query = db.Set<AuditEntry>().AsNoTracking();
        if (action is not null)
        {
            query = query.Where(e => e.Action == action);
        }

        return await query.OrderBy(e => e.Seq).ToListAsync();
    }

    /// <summary>Row counts of every consent-ledger table and the audit log: "nothing changed" means this is equal before and after.</summary>
    public async Task<string> LedgerStateAsync()
    {
        await using var db = NewDbContext();
        var counts = new[]
        {
            await db.Set<Recipient>().CountAsync(), await db.Set<RecipientReview>().CountAsync(), await db.Set<DataRequest>().CountAsync(),
            await db.Set<DataRequestReview>().CountAsync(), await db.Set<ConsentHead>().CountAsync(), await db.Set<ConsentVersion>().CountAsync(),
            await db.Set<ConsentEvent>().CountAsync(), await db.Set<ConsentReceipt>().CountAsync(), await db.Set<StandingInstruction>().CountAsync(),
            await db.Set<WebhookDelivery>().CountAsync(), await db.Set<AuditEntry>().CountAsync(),
        };
        var states = await db.Set<ConsentHead>().OrderBy(c => c.Id).Select(c => c.State.ToString() + c.Version).ToListAsync();
        var recipients = await db.Set<Recipient>().OrderBy(r => r.ClientId).Select(r => r.Status.ToString()).ToListAsync();
        var requests = await db.Set<DataRequest>().OrderBy(r => r.Id).Select(r => r.State.ToString() + r.Duration + r.Categories).ToListAsync();
        return string.Join(',', counts) + "|" + string.Join(',', states) + "|" + string.Join(',', recipients) + "|" + string.Join(',', requests);
    }

    /// <summary>Runs every queued webhook job once, as a worker would.</summary>
    public async Task DeliverWebhooksAsync()
    {
        await using var db = NewDbContext();
        var jobs = await db.Set<Job>().AsNoTracking().Where(j => j.Kind == DeliverWebhookJob.Kind && j.State == JobState.Queued).ToListAsync();
        foreach (var job in jobs)
        {
            await using var scope = Services.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredKeyedService<IJobHandler>(DeliverWebhookJob.Kind);
            try
            {
                await handler.HandleAsync(new JobContext(job.Id, job.Kind, 1, 1, job.IdempotencyKey ?? "", "test", job.Payload), CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // a failed delivery: the attempt is logged; the queue would retry
            }

            await db.Set<Job>().Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Succeeded));
        }
    }

    public static async Task ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json", body);
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("code").GetString().ShouldBe(code, body);
        json.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
    }

    public static Task<HttpClient> ResidentAsync(DataTrustFactory factory, string email = "hanako@example.jp") =>
        factory.CreateSignedInClientAsync(email, DataTrust.Common.Demo.DemoData.Password);

    public static Task<HttpClient> OperatorAsync(DataTrustFactory factory) => factory.CreateClientAsync(Roles.Operator);
}
