using System.Net;
using System.Net.Http.Json;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;

namespace DataTrust.Tests.Consent;

/// <summary>Recipients and their review by the ethics board; data requests checked against the policy and reviewed.</summary>
public abstract class RecipientReviewTests(StorageProvider provider) : IDisposable
{
    private readonly ConsentHost _host = new(provider);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task The_board_approves_a_recipient_only_with_every_criterion_met_and_keeps_its_review_history()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-a", approve: false);
        var view = await Oidc.Json(await admin.GetAsync("/api/admin/recipients/rcpt-a"));
        view.GetProperty("status").GetString().ShouldBe("pending");

        var before = await _host.LedgerStateAsync();
        var partial = ConsentHost.AllCriteria();
        partial.Remove("data-deletion");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "approve", criteria = partial }),
            HttpStatusCode.BadRequest, "criteria_incomplete");
        partial["data-deletion"] = false;
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "approve", criteria = partial }),
            HttpStatusCode.BadRequest, "criteria_not_met");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "approve", criteria = new Dictionary<string, bool> { ["made-up"] = true } }),
            HttpStatusCode.BadRequest, "criterion_unknown");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "reject" }), HttpStatusCode.BadRequest, "reasons_missing");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/suspend", new { reasons = new[] { "x" } }), HttpStatusCode.Conflict, "invalid_transition");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/nobody/review", new { decision = "approve", criteria = ConsentHost.AllCriteria() }),
            HttpStatusCode.NotFound, "not_found");
        (await _host.LedgerStateAsync()).ShouldBe(before, "refused reviews change nothing and audit nothing");

        (await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "reject", reasons = new[] { "No ISMS certificate" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "approve", criteria = ConsentHost.AllCriteria() })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/suspend", new { reasons = new[] { "Breach reported" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/review", new { decision = "approve", criteria = ConsentHost.AllCriteria() }),
            HttpStatusCode.Conflict, "invalid_transition");
        (await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-a/reinstate", new { reasons = new[] { "Fixed" } })).StatusCode.ShouldBe(HttpStatusCode.OK);

        view = await Oidc.Json(await admin.GetAsync("/api/admin/recipients/rcpt-a"));
        view.GetProperty("status").GetString().ShouldBe("approved");
        view.GetProperty("specialCareApproved").GetBoolean().ShouldBeFalse("the special-care criteria were not answered");
        view.GetProperty("reviews").EnumerateArray().Select(r => r.GetProperty("decision").GetString()).ShouldBe(["rejected", "approved", "suspended", "reinstated"]);
        var audit = (await _host.AuditAsync(AuditAction.RecipientReviewed)).Where(e => e.Recipient == "rcpt-a").ToList();
        audit.Select(e => System.Text.Json.JsonDocument.Parse(e.Details).RootElement.GetProperty("decision").GetString()).ShouldBe(["rejected", "approved", "suspended", "reinstated"]);
        audit[1].Details.ShouldContain("privacy-certification");
    }

    [Fact]
    public async Task Only_business_and_city_service_clients_can_be_recipients()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        var before = await _host.LedgerStateAsync();
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients", new { clientId = "demo-provider", organisationName = "Provider" }),
            HttpStatusCode.BadRequest, "client_kind_invalid");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients", new { clientId = "no-such-client", organisationName = "X" }),
            HttpStatusCode.BadRequest, "client_unknown");
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/admin/recipients", new { clientId = "demo-business", organisationName = "Again" }),
            HttpStatusCode.Conflict, "recipient_exists");
        (await _host.LedgerStateAsync()).ShouldBe(before);
        var resident = await ConsentHost.ResidentAsync(_host);
        (await resident.GetAsync("/api/admin/recipients")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Data_requests_outside_the_policy_are_refused_with_a_clear_problem_and_nothing_changes()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-b");
        await _host.RecipientAsync(admin, "rcpt-pending", approve: false);
        var recipient = await _host.RecipientClientAsync("rcpt-b");
        var pending = await _host.RecipientClientAsync("rcpt-pending");
        var before = await _host.LedgerStateAsync();

        async Task Refused(HttpClient client, object request, HttpStatusCode status, string code) =>
            await ConsentHost.ShouldBeProblemAsync(await client.PostAsJsonAsync("/api/recipient/data-requests", request), status, code);

        await Refused(pending, ConsentHost.MobilityRequest(), HttpStatusCode.Forbidden, "recipient_not_approved");
        await Refused(recipient, ConsentHost.MobilityRequest(purpose: "selling-data"), HttpStatusCode.BadRequest, "purpose_unknown");
        await Refused(recipient, ConsentHost.MobilityRequest(categories: [new { category = "mobility", fields = new[] { "origin_latitude" } }]), HttpStatusCode.BadRequest, "field_not_allowed");
        await Refused(recipient, ConsentHost.MobilityRequest(categories: [new { category = "household", fields = new[] { "household_size" } }]), HttpStatusCode.BadRequest, "field_not_allowed");
        await Refused(recipient, ConsentHost.MobilityRequest(categories: [new { category = "health-checkup", fields = new[] { "bmi" } }]), HttpStatusCode.BadRequest, "field_not_allowed");
        await Refused(recipient, ConsentHost.MobilityRequest(duration: "P2Y"), HttpStatusCode.BadRequest, "duration_too_long");
        await Refused(recipient, ConsentHost.MobilityRequest(duration: "PT5H"), HttpStatusCode.BadRequest, "duration_invalid");
        await Refused(recipient, ConsentHost.MobilityRequest(accessMode: "sometimes"), HttpStatusCode.BadRequest, "access_mode_invalid");
        await Refused(recipient, new { purposeId = "mobility-improvement", categories = Array.Empty<object>(), duration = "P1M", accessMode = "one-time" }, HttpStatusCode.BadRequest, "categories_missing");
        (await _host.LedgerStateAsync()).ShouldBe(before);
        (await recipient.GetFromJsonAsync<List<object>>("/api/recipient/data-requests"))!.ShouldBeEmpty();

        // Without a token, or with a token lacking the scope: the access-token scheme answers.
        (await _host.CreateClient().GetAsync("/api/recipient/data-requests")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_request_moves_from_draft_to_published_and_special_care_needs_explicit_approval()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-c");
        var recipient = await _host.RecipientClientAsync("rcpt-c");

        var health = new
        {
            purposeId = "health-promotion",
            categories = new[] { new { category = "health-checkup", fields = new[] { "bmi", "hba1c" } } },
            duration = "P1Y",
            accessMode = "one-time",
            benefit = new { ja = "健康アドバイス", en = "Health advice" },
            explanation = new { ja = "説明", en = "Explanation" },
        };
        var created = await recipient.PostAsJsonAsync("/api/recipient/data-requests", health);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await Oidc.Json(created)).GetProperty("id").GetGuid();
        (await Oidc.Json(created)).GetProperty("state").GetString().ShouldBe("draft");
        (await Oidc.Json(created)).GetProperty("specialCare").GetBoolean().ShouldBeTrue();

        // Review only after submission; a draft is not in the queue.
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync($"/api/admin/data-requests/{id}/review", new { decision = "approve", sensitiveDataApproved = true }),
            HttpStatusCode.Conflict, "invalid_transition");
        (await recipient.PostAsync($"/api/recipient/data-requests/{id}/submit", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ConsentHost.ShouldBeProblemAsync(await recipient.PutAsJsonAsync($"/api/recipient/data-requests/{id}", health), HttpStatusCode.Conflict, "invalid_transition");
        var queue = await Oidc.Json(await admin.GetAsync("/api/admin/data-requests"));
        queue.EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ShouldBe([id]);

        var before = await _host.LedgerStateAsync();
        await ConsentHost.ShouldBeProblemAsync(await admin.PostAsJsonAsync($"/api/admin/data-requests/{id}/review", new { decision = "approve" }),
            HttpStatusCode.BadRequest, "sensitive_not_approved");
        (await _host.LedgerStateAsync()).ShouldBe(before);

        var approved = await admin.PostAsJsonAsync($"/api/admin/data-requests/{id}/review", new { decision = "approve", sensitiveDataApproved = true });
        approved.StatusCode.ShouldBe(HttpStatusCode.OK);
        var view = await Oidc.Json(approved);
        view.GetProperty("state").GetString().ShouldBe("approved");
        view.GetProperty("reviews")[0].GetProperty("sensitiveDataApproved").GetBoolean().ShouldBeTrue();
        var entry = (await _host.AuditAsync(AuditAction.RecipientReviewed)).Last();
        (entry.Recipient, entry.Details.Contains("\"sensitiveDataApproved\":true", StringComparison.Ordinal)).ShouldBe(("rcpt-c", true));

        var resident = await ConsentHost.ResidentAsync(_host);
        var published = await Oidc.Json(await resident.GetAsync("/api/me/data-requests"));
        published.EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ShouldContain(id);

        (await recipient.PostAsync($"/api/recipient/data-requests/{id}/withdraw", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        published = await Oidc.Json(await resident.GetAsync("/api/me/data-requests"));
        published.EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ShouldNotContain(id);

        // Another recipient sees none of it.
        await _host.RecipientAsync(admin, "rcpt-d");
        var other = await _host.RecipientClientAsync("rcpt-d");
        await ConsentHost.ShouldBeProblemAsync(await other.GetAsync($"/api/recipient/data-requests/{id}"), HttpStatusCode.NotFound, "not_found");
    }
}

public sealed class SqliteRecipientReviewTests() : RecipientReviewTests(StorageProvider.Sqlite);

public sealed class PostgresRecipientReviewTests() : RecipientReviewTests(StorageProvider.Postgres);
