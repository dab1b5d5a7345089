import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Toaster } from "@/components/ui/toaster";
import { TrpcReactProvider } from "@/components/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Trunkline", template: "%s · Trunkline" },
  description: "Billing and provisioning for telecom carriers",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <TrpcReactProvider>{children}</TrpcReactProvider>
        <Toaster />
      </body>
    </html>
  );
}
