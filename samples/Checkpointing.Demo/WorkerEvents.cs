namespace Checkpointing.Demo;

/// <summary>The lines a worker prints for its parent (with <c>--events</c>): <c>@@ &lt;event&gt; &lt;stage&gt;</c>.</summary>
internal static class WorkerEvents
{
    public const string Prefix = "@@ ";
    public const string Started = "started";
    public const string Skipped = "skipped";
    public const string Paid = "paid";
    public const string Cached = "cached";
    public const string Completed = "completed";
}
