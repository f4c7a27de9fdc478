using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Common.Http;

/// <summary>RFC 9457 problem details written outside the endpoint pipeline (middleware, limiter).</summary>
internal static class Problems
{
    public static async Task Write(HttpContext context, int status, string title, string detail, CancellationToken cancellationToken = default)
    {
        context.Response.StatusCode = status;
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        var written = await writer.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
        if (!written)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync($"{title}: {detail}", cancellationToken);
        }
    }
}
