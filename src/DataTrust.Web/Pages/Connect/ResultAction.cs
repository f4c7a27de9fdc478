using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Connect;

/// <summary>Runs a protocol result (redirect, error page) of the core library from a page handler.</summary>
internal sealed class ResultAction(IResult result) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
}
