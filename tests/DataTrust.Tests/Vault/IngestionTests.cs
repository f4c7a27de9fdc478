using DataTrust.Persistence;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Audit.Storage;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Vault;

/// <summary>Shared steps of the ingestion and resident-control tests: a provider's token, a resident's link through the portal.</summary>
public abstract class IngestionTestBase(StorageProvider storage) : VaultTestBase(storage)
{
    protected const string ProviderId = "demo-provider";

    protected static readonly string MobilityFields = $$"""{"trip_date":"2026-11-01","transport_mode":"bus","distance_km":3.5,"duration_minutes":17,"origin_district":"{{Canary}}"}""";

    protected static async Task<HttpClient> ProviderClientAsync(DataTrustFactory factory, string scope = "datatrust.ingest")
    {
        var http = factory.CreateClient();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials", ["scope"] = scope }, ProviderId, "demo-provider-secret"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await Oidc.Json(response)).GetProperty("access_token").GetString());
        return http;
    }

    /// <summary>The resident links the demo provider in the portal for these categories; returns the link id shown on the page.</summary>
    protected static async Task<string> LinkAsync(HttpClient resident, params string[] categories)
    {
        var token = await SignIn.AntiforgeryTokenAsync(resident, "/resident/providers");
        var form = new List<KeyValuePair<string, string>> { new("provider", ProviderId), new("__RequestVerificationToken", token) };
        form.AddRange(categories.Select(c => new KeyValuePair<string, string>("categories", c)));
        var response = await resident.PostAsync("/resident/providers?handler=Link", new FormUrlEncodedContent(form));
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var page = new HtmlParser().ParseDocument(await resident.GetStringAsync("/resident/providers"));
        return page.QuerySelector("code[data-link-id]")!.TextContent;
    }

    protected static Task<HttpResponseMessage> DepositAsync(HttpClient provider, string linkId, string category, string fields, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/ingest/records")
        {
            Content = new StringContent($$"""{"linkId":"{{linkId}}","category":"{{category}}","fields":{{fields}}}""", Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return provider.SendAsync(request);
    }

    protected static async Task<Guid> ResidentIdAsync(DataTrustFactory factory, string role = Roles.Resident)
    {
        await using var db = factory.NewDbContext();
        var email = SignIn.DemoEmail(role);
        return await db.Set<UserAccount>().Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    protected static async Task<int> RecordCountAsync(DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<VaultRecord>().CountAsync();
    }

    internal static async Task<List<AuditEntry>> AuditAsync(DataTrustFactory factory, string action)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Seq).ToListAsync();
    }

    protected static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

public abstract class IngestionTests(StorageProvider storage) : IngestionTestBase(storage)
{
    [Fact]
    public async Task A_provider_deposits_a_record_under_storage_consent_and_the_canary_appears_in_no_log_or_audit_entry()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);

        var response = await DepositAsync(provider, linkId, "mobility", MobilityFields);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var recordId = (await Oidc.Json(response)).GetProperty("recordId").GetGuid();
        var residentId = await ResidentIdAsync(factory);
        (await ReadAsync(factory, residentId, recordId))!.ShouldContain(Canary);
        (await RecordRowAsync(factory, recordId)).ProviderId.ShouldBe(ProviderId);
        var deposited = (await AuditAsync(factory, "vault.record_deposited")).ShouldHaveSingleItem();
        deposited.ActorId.ShouldBe(ProviderId);
        deposited.Recipient.ShouldBe(ProviderId);
        deposited.Objects.ShouldContain(recordId.ToString("D"));
        deposited.Details.ShouldContain("mobility");
        deposited.Subject.ShouldNotBe(residentId.ToString("D"), "the audit log holds a pseudonym");
        (await AuditAsync(factory, "vault.storage_consent_given")).ShouldHaveSingleItem().Details.ShouldContain("mobility");
        (await AuditAsync(factory, "vault.provider_linked")).ShouldHaveSingleItem();
        factory.Logs.All.ShouldNotContain(Canary);
        await using var db = factory.NewDbContext();
        (await db.Set<AuditEntry>().AnyAsync(e => e.Details.Contains(Canary) || e.Objects.Contains(Canary))).ShouldBeFalse();
        Contains(await DatabaseContentAsync(factory), Encoding.UTF8.GetBytes(Canary)).ShouldBeFalse("only ciphertext is stored");
    }

    [Fact]
    public async Task Without_storage_consent_for_the_category_or_after_withdrawal_the_deposit_is_refused_and_nothing_is_stored()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);

        var problem = await ProblemAsync(await DepositAsync(provider, linkId, "energy-use", """{"x":1}"""), HttpStatusCode.UnprocessableEntity);
        problem.GetProperty("errors").EnumerateArray().ShouldContain(e => e.GetProperty("field").GetString() == "x");
        var health = """{"checkup_date":"2026-04-01","systolic_bp":120}""";
        problem = await ProblemAsync(await DepositAsync(provider, linkId, "health-checkup", health), HttpStatusCode.Forbidden);
        problem.GetProperty("title").GetString().ShouldBe("No storage consent");

        // Withdraw mobility in the portal: the next deposit is refused.
        var page = new HtmlParser().ParseDocument(await resident.GetStringAsync("/resident/providers"));
        var withdraw = page.QuerySelectorAll("form").First(f => f.QuerySelector("input[name=category][value=mobility]") is not null);
        var form = withdraw.QuerySelectorAll("input").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value")!);
        (await resident.PostAsync("/resident/providers?handler=Decide", new FormUrlEncodedContent(form))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await ProblemAsync(await DepositAsync(provider, linkId, "mobility", MobilityFields), HttpStatusCode.Forbidden);

        (await RecordCountAsync(factory)).ShouldBe(0);
        (await AuditAsync(factory, "vault.record_deposited")).ShouldBeEmpty();
        (await AuditAsync(factory, "vault.storage_consent_withdrawn")).ShouldHaveSingleItem();
        await using var db = factory.NewDbContext();
        var versions = await db.Set<VaultStorageConsent>().Where(c => c.CategoryId == "mobility").OrderBy(c => c.Version).Select(c => c.Given).ToListAsync();
        versions.ShouldBe([true, false], "consent is versioned: the grant stays, the withdrawal follows it");
    }

    [Fact]
    public async Task Invalid_fields_are_refused_with_every_problem_named_and_nothing_stored()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);

        var response = await DepositAsync(provider, linkId, "mobility",
            $$"""{"trip_date":"01/11/2026","transport_mode":"rocket","duration_minutes":1.5,"distance_km":"far","colour":"{{Canary}}","departure_time":"2026-11-01T08:00:00"}""");

        var problem = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        fields.ShouldBe(["trip_date", "transport_mode", "duration_minutes", "distance_km", "colour", "departure_time"], ignoreOrder: true);
        problem.GetRawText().ShouldNotContain(Canary);
        problem.GetRawText().ShouldContain("walk, bicycle", customMessage: "an enum names its allowed values");
        (await ProblemAsync(await DepositAsync(provider, "no-such-link", "mobility", MobilityFields), HttpStatusCode.NotFound)).GetProperty("title").GetString().ShouldBe("Unknown link");
        (await ProblemAsync(await DepositAsync(provider, linkId, "mobility", "{}"), HttpStatusCode.UnprocessableEntity)).GetRawText().ShouldContain("at least one field");
        (await ProblemAsync(await provider.PostAsync("/api/ingest/records", new StringContent("{\"linkId\":", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest)).GetProperty("title").GetString().ShouldBe("Malformed request");
        (await ProblemAsync(await provider.PostAsync("/api/ingest/records", new StringContent(MobilityFields, Encoding.UTF8, "text/plain")), HttpStatusCode.BadRequest)).ShouldNotBe(default);

        (await RecordCountAsync(factory)).ShouldBe(0);
        factory.Logs.All.ShouldNotContain(Canary);
    }

    [Fact]
    public async Task Without_the_ingest_scope_or_a_token_the_API_refuses()
    {
        using var factory = StartService();
        using var anonymous = factory.CreateClient();
        var response = await anonymous.PostAsync("/api/ingest/records", new StringContent("{}", Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        (await resident.PostAsync("/api/ingest/records", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a portal session is not a provider's token");
        (await RecordCountAsync(factory)).ShouldBe(0);
    }

    [Fact]
    public async Task The_first_deposit_for_a_resident_creates_their_data_key_and_records_it_with_the_deposit()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);

        (await DepositAsync(provider, linkId, "mobility", MobilityFields)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await DepositAsync(provider, linkId, "mobility", MobilityFields)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var created = (await AuditAsync(factory, "key.created")).Where(e => e.Details.Contains("resident-data-key")).ShouldHaveSingleItem();
        var deposits = await AuditAsync(factory, "vault.record_deposited");
        deposits.Count.ShouldBe(2);
        created.Seq.ShouldBe(deposits[0].Seq - 1, "recorded in the first deposit's transaction, just before its entry");
        created.Subject.ShouldBe(deposits[0].Subject);
        created.ActorId.ShouldBe(ProviderId);
        created.Objects.ShouldContain("dek-v1");
        await using var db = factory.NewDbContext();
        (await db.Set<VaultDataKey>().CountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task The_same_idempotency_key_and_body_returns_the_first_result_and_another_body_is_refused()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);

        var first = await DepositAsync(provider, linkId, "mobility", MobilityFields, key: "trip-0001");
        var again = await DepositAsync(provider, linkId, "mobility", MobilityFields, key: "trip-0001");

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Oidc.Json(again)).GetProperty("recordId").GetGuid().ShouldBe((await Oidc.Json(first)).GetProperty("recordId").GetGuid());
        var other = await DepositAsync(provider, linkId, "mobility", """{"trip_date":"2026-11-02"}""", key: "trip-0001");
        (await ProblemAsync(other, HttpStatusCode.UnprocessableEntity)).GetProperty("title").GetString().ShouldBe("Idempotency key reused");
        (await RecordCountAsync(factory)).ShouldBe(1);
        (await AuditAsync(factory, "vault.record_deposited")).Count.ShouldBe(1);
        (await DepositAsync(provider, linkId, "mobility", MobilityFields, key: "trip-0002")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await RecordCountAsync(factory)).ShouldBe(2);
    }

    [Fact]
    public async Task A_batch_answers_one_result_per_item_and_stores_only_the_valid_consented_ones()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);
        var body = $$$"""
            {"records":[
              {"linkId":"{{{linkId}}}","category":"mobility","fields":{{{MobilityFields}}},"idempotencyKey":"b-1"},
              {"linkId":"{{{linkId}}}","category":"mobility","fields":{"transport_mode":"rocket"}},
              {"linkId":"{{{linkId}}}","category":"health-checkup","fields":{"systolic_bp":120}},
              {"linkId":"unknown","category":"mobility","fields":{"trip_date":"2026-11-01"}},
              {"nonsense":true}
            ]}
            """;

        var response = await provider.PostAsync("/api/ingest/records:batch", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var result = await Oidc.Json(response);
        result.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetInt32()).ShouldBe([201, 422, 403, 404, 400]);
        result.GetProperty("stored").GetInt32().ShouldBe(1);
        (await RecordCountAsync(factory)).ShouldBe(1);

        var repeat = await Oidc.Json(await provider.PostAsync("/api/ingest/records:batch", new StringContent(body, Encoding.UTF8, "application/json")));
        repeat.GetProperty("results")[0].GetProperty("recordId").GetGuid().ShouldBe(result.GetProperty("results")[0].GetProperty("recordId").GetGuid());
        (await RecordCountAsync(factory)).ShouldBe(1, "the keyed item is not stored again");
        (await ProblemAsync(await provider.PostAsync("/api/ingest/records:batch", new StringContent("""{"records":[]}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest)).ShouldNotBe(default);
    }

    [Fact]
    public async Task An_NGSI_LD_notification_is_mapped_to_records_and_an_invalid_entity_refuses_it_whole()
    {
        using var factory = StartService();
        using var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility");
        using var provider = await ProviderClientAsync(factory);
        var notification = $$$"""
            {"id":"urn:ngsi-ld:Notification:1","type":"Notification","subscriptionId":"urn:ngsi-ld:Subscription:trips","notifiedAt":"2026-11-01T09:00:00Z",
             "data":[
               {"id":"urn:ngsi-ld:Trip:1","type":"mobility","linkId":{"type":"Property","value":"{{{linkId}}}"},
                "trip_date":{"type":"Property","value":"2026-11-01"},
                "departure_time":{"type":"Property","value":{"@type":"DateTime","@value":"2026-11-01T08:00:00Z"}},
                "transport_mode":{"type":"Property","value":"train"}},
               {"id":"urn:ngsi-ld:Trip:2","type":"https://uri.etsi.org/ngsi-ld/default-context/mobility","distance_km":12.5}
             ]}
            """;

        using var content = new StringContent(notification, Encoding.UTF8, "application/ld+json");
        var response = await provider.PostAsync($"/api/ingest/ngsi-ld/notify?linkId={linkId}", content);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var ids = (await Oidc.Json(response)).GetProperty("recordIds").EnumerateArray().Select(e => e.GetGuid()).ToList();
        ids.Count.ShouldBe(2);
        var residentId = await ResidentIdAsync(factory);
        (await ReadAsync(factory, residentId, ids[0]))!.ShouldContain("\"transport_mode\":\"train\"");
        (await ReadAsync(factory, residentId, ids[1]))!.ShouldContain("12.5");
        var retry = await provider.PostAsync($"/api/ingest/ngsi-ld/notify?linkId={linkId}", new StringContent(notification, Encoding.UTF8, "application/json"));
        retry.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await RecordCountAsync(factory)).ShouldBe(2, "a broker's retry of the same notification stores nothing new");

        var invalid = $$$"""
            {"id":"urn:ngsi-ld:Notification:2","type":"Notification","data":[
               {"id":"urn:ngsi-ld:Trip:3","type":"mobility","linkId":"{{{linkId}}}","trip_date":"2026-11-03"},
               {"id":"urn:ngsi-ld:Trip:4","type":"mobility","linkId":"{{{linkId}}}","speed":{"type":"Property","value":3},"station":{"type":"Relationship","object":"urn:x"}}
             ]}
            """;
        var problem = await ProblemAsync(await provider.PostAsync("/api/ingest/ngsi-ld/notify", new StringContent(invalid, Encoding.UTF8, "application/json")), HttpStatusCode.UnprocessableEntity);
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(["data[1].speed", "data[1].station"], ignoreOrder: true);
        (await ProblemAsync(await provider.PostAsync("/api/ingest/ngsi-ld/notify", new StringContent("""{"type":"Notification"}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest)).ShouldNotBe(default);
        (await RecordCountAsync(factory)).ShouldBe(2);
    }
}

public sealed class SqliteIngestionTests() : IngestionTests(StorageProvider.Sqlite);

public sealed class PostgresIngestionTests() : IngestionTests(StorageProvider.Postgres);
