// Call from client components: toast.success("Saved"), toast.error(message), toast.promise(…).
// The <Toaster /> from components/ui/toaster.tsx must be mounted once (root layout).
export { toast } from "sonner";
