using DataTrust.Accounts;
using DataTrust.Common.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Jobs.Admin;

/// <summary>The operators' job dashboard API under <c>/api/admin/jobs</c>.</summary>
internal static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobsAdmin(this IEndpointRouteBuilder endpoints)
    {
        var jobs = endpoints.MapGroup("/api/admin/jobs")
            .RequireAuthorization(AccessPolicies.Operator)
            .RequireRateLimiting(RateLimiting.Sensitive)
            .WithTags("Jobs")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        jobs.MapGet("/", ListJobs.Handle)
            .WithName("ListJobs").WithSummary("Jobs, newest first, filtered by state and kind")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        jobs.MapGet("/counts", CountJobs.Handle)
            .WithName("CountJobs").WithSummary("Number of jobs in each state");
        jobs.MapGet("/schedules", ListRecurringJobs.Handle)
            .WithName("ListRecurringJobs").WithSummary("Recurring schedules");
        jobs.MapGet("/{id}", GetJob.Handle)
            .WithName("GetJob").WithSummary("One job (never its payload)")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id}/retry", RetryJob.Handle)
            .WithName("RetryJob").WithSummary("Send a failed or dead-lettered job back to the queue")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }
}
