using System.Net;
using System.Net.Http.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Tests.Consent;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Consoles;

/// <summary>
/// The business console and the operator console read as HTML: every action goes through the consent
/// capability's use cases, bad input gets a message and changes nothing, staff see only their recipient.
/// </summary>
public abstract class ConsolePageTests(StorageProvider provider) : IDisposable
{
    private readonly ConsentHost _host = new(provider);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData("/business", Roles.Resident)]
    [InlineData("/business/requests", Roles.Auditor)]
    [InlineData("/business/requests/edit", Roles.Operator)]
    [InlineData("/admin", Roles.Resident)]
    [InlineData("/admin/recipients", Roles.Auditor)]
    [InlineData("/admin/requests", Roles.Business)]
    [InlineData("/admin/jobs", Roles.Auditor)]
    [InlineData("/admin/clients", Roles.Business)]
    [InlineData("/admin/keys", Roles.Resident)]
    [InlineData("/admin/health", Roles.Auditor)]
    [InlineData("/business/credentials", Roles.Operator)]
    [InlineData("/admin/recipients/demo-business", Roles.Business)]
    public async Task Other_roles_are_refused_and_anonymous_visitors_sent_to_sign_in(string path, string role)
    {
        var anonymous = await _host.CreateBrowser().GetAsync(path);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        anonymous.Headers.Location!.OriginalString.ShouldContain("/account/login");

        var refused = await (await _host.CreateClientAsync(role)).GetAsync(path);
        refused.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        refused.Headers.Location!.OriginalString.ShouldContain("/account/denied");
    }

    [Fact]
    public async Task A_business_drafts_and_submits_a_request_and_sees_the_boards_approval_with_its_reasons()
    {
        var business = await _host.CreateClientAsync(Roles.Business);
        var admin = await _host.CreateClientAsync(Roles.Operator);

        var drafted = await PostAsync(business, "/business/requests/edit", null, DraftForm());
        drafted.StatusCode.ShouldBe(HttpStatusCode.Redirect, await drafted.Content.ReadAsStringAsync());
        var detail = drafted.Headers.Location!.OriginalString;
        var id = Guid.Parse(detail.Split('/')[^1]);
        (await PageAsync(business, detail)).QuerySelector("#state")!.TextContent.ShouldBe("下書き");

        (await PostAsync(business, detail, "submit", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(business, detail)).QuerySelector("#state")!.TextContent.ShouldBe("審査中");

        var queue = await PageAsync(admin, "/admin/requests");
        queue.QuerySelectorAll("#requests a").Select(a => a.GetAttribute("href")).ShouldBe([$"/admin/requests/{id}"]);
        var approved = await PostAsync(admin, $"/admin/requests/{id}", null, [new("Decision", "approve"), new("Reasons", "Clear benefit\nMinimal fields")]);
        approved.StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var seen = await PageAsync(business, detail);
        seen.QuerySelector("#state")!.TextContent.ShouldBe("承認済み");
        seen.QuerySelector("#reviews")!.TextContent.ShouldContain("Minimal fields");
        var audit = await _host.AuditAsync();
        audit.Where(e => e.Action == AuditAction.DataRequestChanged).Select(e => e.Details).ShouldContain(d => d.Contains("submitted"));
        audit.Where(e => e.Action == AuditAction.RecipientReviewed).Select(e => (e.Recipient, e.ActorType)).ShouldBe([("demo-business", "operator")]);

        (await PostAsync(business, detail, "withdraw", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(business, detail)).QuerySelector("#state")!.TextContent.ShouldBe("取り下げ");
    }

    [Fact]
    public async Task Bad_drafts_and_refused_transitions_show_a_clear_message_and_change_nothing()
    {
        var business = await _host.CreateClientAsync(Roles.Business);
        var admin = await _host.CreateClientAsync(Roles.Operator);
        var before = await _host.LedgerStateAsync();

        var unknownPurpose = await PostAsync(business, "/business/requests/edit", null, DraftForm(purpose: "selling-data"));
        unknownPurpose.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var page = Parse(await unknownPurpose.Content.ReadAsStringAsync());
        page.QuerySelector(".error-summary a")!.GetAttribute("href").ShouldBe("#purpose");
        page.QuerySelector(".error-summary")!.TextContent.ShouldContain("selling-data");
        ((IHtmlTextAreaElement)page.QuerySelector("#benefitJa")!).Value.ShouldBe("ポイント", "what was typed is kept");

        var tooMuch = await PostAsync(business, "/business/requests/edit", null, DraftForm(field: "mobility.exact_location"));
        tooMuch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Parse(await tooMuch.Content.ReadAsStringAsync()).QuerySelector(".error-summary a")!.GetAttribute("href").ShouldBe("#fields");

        var noFrequency = await PostAsync(business, "/business/requests/edit", null, [.. DraftForm().Where(f => f.Key != "MaxReleases")]);
        noFrequency.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var published = await PublishedRequestAsync();
        var submitApproved = await PostAsync(business, $"/business/requests/{published}", "submit", []);
        submitApproved.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        Parse(await submitApproved.Content.ReadAsStringAsync()).QuerySelector(".error-summary")!.TextContent.ShouldContain("approved");

        var reviewApproved = await PostAsync(admin, $"/admin/requests/{published}", null, [new("Decision", "approve")]);
        reviewApproved.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await _host.LedgerStateAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task The_board_must_give_reasons_to_reject_and_every_criterion_to_approve()
    {
        var business = await _host.CreateClientAsync(Roles.Business);
        var admin = await _host.CreateClientAsync(Roles.Operator);
        var drafted = await PostAsync(business, "/business/requests/edit", null, DraftForm());
        var id = Guid.Parse(drafted.Headers.Location!.OriginalString.Split('/')[^1]);
        await PostAsync(business, $"/business/requests/{id}", "submit", []);
        await _host.RecipientAsync(admin, "rcpt-new", approve: false);
        var before = await _host.LedgerStateAsync();

        var noReason = await PostAsync(admin, $"/admin/requests/{id}", null, [new("Decision", "reject")]);
        noReason.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Parse(await noReason.Content.ReadAsStringAsync()).QuerySelector(".error-summary a")!.GetAttribute("href").ShouldBe("#reasons");
        (await PostAsync(admin, $"/admin/requests/{id}", null, [])).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await PostAsync(admin, $"/admin/requests/{Guid.NewGuid()}", null, [new("Decision", "approve")], tokenPath: "/admin/requests")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var criteria = ConsentHost.AllCriteria().Keys.Skip(1).Select(c => new KeyValuePair<string, string>("Met", c)).ToList();
        var unmet = await PostAsync(admin, "/admin/recipients/rcpt-new", "review", [new("Decision", "approve"), .. criteria]);
        unmet.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Parse(await unmet.Content.ReadAsStringAsync()).QuerySelector(".error-summary")!.TextContent.ShouldContain("privacy-certification");
        var unknownClient = await PostAsync(admin, "/admin/recipients", "register", [new("RegisterClientId", "nobody"), new("RegisterName", "Nobody Inc.")]);
        unknownClient.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Parse(await unknownClient.Content.ReadAsStringAsync()).QuerySelector(".error-summary a")!.GetAttribute("href").ShouldBe("#registerClientId");
        (await PostAsync(admin, "/admin/recipients/demo-business", "suspend", [])).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        var allMet = ConsentHost.AllCriteria().Keys.Select(c => new KeyValuePair<string, string>("Met", c)).ToList();
        (await PostAsync(admin, "/admin/recipients/rcpt-new", "review", [new("Decision", "approve"), .. allMet])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(admin, "/admin/recipients/rcpt-new")).QuerySelector("#status")!.TextContent.ShouldBe("承認済み");
        (await PostAsync(admin, "/admin/recipients/rcpt-new", "suspend", [new("Reasons", "Breach reported")])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(admin, "/admin/recipients/rcpt-new")).QuerySelector("#status")!.TextContent.ShouldBe("停止中");
        (await _host.AuditAsync(AuditAction.RecipientReviewed)).Count(e => e.Recipient == "rcpt-new").ShouldBe(2);
    }

    [Fact]
    public async Task Staff_never_see_or_change_another_recipients_requests()
    {
        var admin = await _host.CreateClientAsync(Roles.Operator);
        await _host.RecipientAsync(admin, "rcpt-other");
        var other = await _host.RecipientClientAsync("rcpt-other");
        var created = await other.PostAsJsonAsync("/api/recipient/data-requests", ConsentHost.MobilityRequest());
        var id = (await Identity.Oidc.Json(created)).GetProperty("id").GetGuid();
        var business = await _host.CreateClientAsync(Roles.Business);
        var before = await _host.LedgerStateAsync();

        (await business.GetAsync($"/business/requests/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await business.GetAsync($"/business/requests/edit/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await PostAsync(business, $"/business/requests/{id}", "submit", [], tokenPath: "/business/requests")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await PostAsync(business, $"/business/requests/{id}", "withdraw", [], tokenPath: "/business/requests")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await PostAsync(business, $"/business/requests/edit/{id}", null, DraftForm(), tokenPath: "/business/requests")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await PageAsync(business, "/business/requests")).QuerySelectorAll("tbody a").Select(a => a.GetAttribute("href")).ShouldNotContain($"/business/requests/{id}");
        (await _host.LedgerStateAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Business_staff_rotate_the_secret_shown_once_and_set_the_webhook_and_bad_input_changes_nothing()
    {
        var business = await _host.CreateClientAsync(Roles.Business);
        var before = await _host.LedgerStateAsync();
        var badUrl = await PostAsync(business, "/business/webhook", null, [new("WebhookUrl", "ftp://example.com/hook")]);
        badUrl.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Parse(await badUrl.Content.ReadAsStringAsync()).QuerySelector(".error-summary a")!.GetAttribute("href").ShouldBe("#url");
        var notOwed = await PostAsync(business, "/business/consents", "confirm", [new("consent", Guid.NewGuid().ToString())]);
        ((int)notOwed.StatusCode).ShouldBeGreaterThanOrEqualTo(400);
        Parse(await notOwed.Content.ReadAsStringAsync()).QuerySelector(".error-summary").ShouldNotBeNull();
        var jwks = await PostAsync(business, "/business/credentials", "jwks", [new("Jwks", "{\"keys\":[]}")]);
        jwks.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        (await PostAsync(business, "/business/webhook", null, [new("WebhookUrl", "https://example.com/hook")])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        ((IHtmlInputElement)(await PageAsync(business, "/business/webhook")).QuerySelector("#url")!).Value.ShouldBe("https://example.com/hook");

        var rotated = await PostAsync(business, "/business/credentials", "rotate", []);
        rotated.StatusCode.ShouldBe(HttpStatusCode.OK);
        rotated.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var secret = Parse(await rotated.Content.ReadAsStringAsync()).QuerySelector("#new-secret p code")!.TextContent;
        await using (var db = _host.NewDbContext())
        {
            var hash = await db.Set<Client>().Where(c => c.ClientId == "demo-business").Select(c => c.SecretHash).SingleAsync();
            ClientSecretHasher.Verify(hash, secret).ShouldBeTrue();
            ClientSecretHasher.Verify(hash, "demo-business-secret").ShouldBeFalse();
        }

        (await PageAsync(business, "/business/credentials")).QuerySelector("#new-secret").ShouldBeNull("the secret is shown once");
        var changes = (await _host.AuditAsync(AuditAction.AdminChanged)).Select(e => e.Details).ToList();
        changes.ShouldContain(d => d.Contains("client.secret_rotated"));
        changes.ShouldContain(d => d.Contains("recipient.webhook_set"));
    }

    [Fact]
    public async Task Operators_register_and_disable_clients_rotate_keys_and_see_health_and_bad_input_changes_nothing()
    {
        var admin = await _host.CreateClientAsync(Roles.Operator);
        await using var db = _host.NewDbContext();
        var clients = await db.Set<Client>().CountAsync();
        var before = await _host.LedgerStateAsync();

        var noName = await PostAsync(admin, "/admin/clients", "register", [new("NewClientId", "bad id!"), new("DisplayName", ""), new("Kind", "BusinessRecipient")]);
        noName.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Parse(await noName.Content.ReadAsStringAsync()).QuerySelectorAll(".error-summary a").Select(a => a.GetAttribute("href")).ShouldBe(["#newClientId", "#displayName"]);
        (await PostAsync(admin, "/admin/clients", "disable", [new("clientId", "nobody")])).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await db.Set<Client>().CountAsync()).ShouldBe(clients);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        var registered = await PostAsync(admin, "/admin/clients", "register", [new("NewClientId", "transit-co"), new("DisplayName", "Transit Co."), new("Kind", "BusinessRecipient")]);
        registered.StatusCode.ShouldBe(HttpStatusCode.OK);
        var secret = Parse(await registered.Content.ReadAsStringAsync()).QuerySelector("#registered code")!.TextContent;
        var client = await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == "transit-co");
        ClientSecretHasher.Verify(client.SecretHash, secret).ShouldBeTrue();
        (await PostAsync(admin, "/admin/clients", "disable", [new("clientId", "transit-co")])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == "transit-co")).Enabled.ShouldBeFalse();

        var auditKeys = (await PageAsync(admin, "/admin/keys")).QuerySelectorAll("#audit-keys tbody tr").Length;
        (await PostAsync(admin, "/admin/keys", "audit", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(admin, "/admin/keys")).QuerySelectorAll("#audit-keys tbody tr").Length.ShouldBe(auditKeys + 1);
        (await PostAsync(admin, "/admin/keys", "token", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var tokenKeys = (await PageAsync(admin, "/admin/keys")).QuerySelectorAll("#token-keys tbody tr").Length;
        (await PostAsync(admin, "/admin/keys", "token", [])).StatusCode.ShouldBe(HttpStatusCode.Conflict, "a rotation is pending");
        (await PageAsync(admin, "/admin/keys")).QuerySelectorAll("#token-keys tbody tr").Length.ShouldBe(tokenKeys);
        (await PostAsync(admin, "/admin/keys", "kek", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await db.Set<Job>().AsNoTracking().CountAsync(j => j.Kind == DataTrust.Vault.Rotation.RotateKekJob.Kind)).ShouldBe(1);
        var changes = (await _host.AuditAsync()).Select(e => e.Action + e.Details).ToList();
        changes.ShouldContain(d => d.Contains("client.disabled"));
        changes.ShouldContain(d => d.Contains("vault.rotate_kek"));

        (await PageAsync(admin, "/admin/health")).QuerySelector("#checks")!.TextContent.ShouldContain("database");
    }

    [Fact]
    public async Task An_operator_retries_a_dead_lettered_job_and_bad_retries_change_nothing()
    {
        var dead = Guid.CreateVersion7();
        var queued = Guid.CreateVersion7();
        await using (var db = _host.NewDbContext())
        {
            var now = DateTimeOffset.UtcNow;
            db.AddRange(
                new Job { Id = dead, Kind = "test.console", Payload = "{}", State = JobState.DeadLettered, Attempts = 5, MaxAttempts = 5, CreatedAt = now, RunAt = now, FinishedAt = now, LastError = "boom" },
                new Job { Id = queued, Kind = "test.console", Payload = "{}", State = JobState.Queued, MaxAttempts = 5, CreatedAt = now, RunAt = now.AddHours(1) });
            await db.SaveChangesAsync();
        }

        var admin = await _host.CreateClientAsync(Roles.Operator);
        var dashboard = await PageAsync(admin, "/admin/jobs?state=dead_lettered");
        dashboard.QuerySelector("#job-counts tr[data-state=dead_lettered] td.number")!.TextContent.ShouldBe("1");
        dashboard.QuerySelectorAll($"tr[data-job='{dead}'] button").Length.ShouldBe(1);
        var before = await JobStatesAsync();

        (await PostAsync(admin, "/admin/jobs", "retry", [new("id", "not-a-job")])).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await PostAsync(admin, "/admin/jobs", "retry", [new("id", Guid.NewGuid().ToString())])).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var notRetryable = await PostAsync(admin, "/admin/jobs", "retry", [new("id", queued.ToString())]);
        notRetryable.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        Parse(await notRetryable.Content.ReadAsStringAsync()).QuerySelector(".error-summary")!.TextContent.ShouldContain("queued");
        (await JobStatesAsync()).ShouldBe(before);
        (await _host.AuditAsync(AuditAction.AdminChanged)).ShouldNotContain(e => e.Details.Contains("job.retry"));

        (await PostAsync(admin, "/admin/jobs", "retry", [new("id", dead.ToString())])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await using (var db = _host.NewDbContext())
        {
            var job = await db.Set<Job>().SingleAsync(j => j.Id == dead);
            (job.State, job.Attempts).ShouldBe((JobState.Queued, 0));
        }

        (await _host.AuditAsync(AuditAction.AdminChanged)).Count(e => e.Details.Contains("job.retry")).ShouldBe(1);
        (await PageAsync(admin, "/admin")).QuerySelector("#job-counts tr[data-state=dead_lettered] td.number")!.TextContent.ShouldBe("0");
    }

    private async Task<string> JobStatesAsync()
    {
        await using var db = _host.NewDbContext();
        return string.Join(',', await db.Set<Job>().OrderBy(j => j.Id).Select(j => j.State.ToString() + j.Attempts).ToListAsync());
    }

    private async Task<Guid> PublishedRequestAsync()
    {
        await using var db = _host.NewDbContext();
        return await db.Set<DataRequest>().Where(r => r.ClientId == "demo-business" && r.State == DataRequestState.Approved).Select(r => r.Id).FirstAsync();
    }

    private static List<KeyValuePair<string, string>> DraftForm(string purpose = "mobility-improvement", string field = "mobility.trip_date") =>
    [
        new("Purpose", purpose), new("Fields", field), new("Fields", "mobility.transport_mode"), new("Duration", "P6M"),
        new("Mode", "periodic"), new("MaxReleases", "4"), new("Period", "P1M"),
        new("BenefitJa", "ポイント"), new("BenefitEn", "Points"), new("ExplanationJa", "説明"), new("ExplanationEn", "Explanation"),
    ];

    /// <summary>Posts a form of the page (with its anti-forgery token) to the page, or to one of its handlers.</summary>
    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string? handler, List<KeyValuePair<string, string>> fields, string? tokenPath = null)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, tokenPath ?? (path.Contains("/edit", StringComparison.Ordinal) ? "/business/requests/edit" : path));
        fields.Add(new("__RequestVerificationToken", token));
        var target = handler is null ? path : path + "?handler=" + handler;
        return await client.PostAsync(target, new FormUrlEncodedContent(fields));
    }

    private static async Task<IHtmlDocument> PageAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private static IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument(html);
}

public sealed class SqliteConsolePageTests() : ConsolePageTests(StorageProvider.Sqlite);

public sealed class PostgresConsolePageTests() : ConsolePageTests(StorageProvider.Postgres);
