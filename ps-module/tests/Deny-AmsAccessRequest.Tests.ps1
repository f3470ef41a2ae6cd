#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Deny-AmsAccessRequest, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Deny-AmsAccessRequest' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'sends the request id, approver and reason' {
        $result = Deny-AmsAccessRequest -RequestId 'a-1' -ApproverSid 'S-1-5-21-1-2-3-1105' -Reason 'change 42' -Confirm:$false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'access|deny|--request-id|a-1|--approver-sid|S-1-5-21-1-2-3-1105|--reason|change 42'
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.AccessRequest'
        $result.State | Should -BeExactly 'Denied'
        $result.Approvers[0].PSTypeNames[0] | Should -BeExactly 'Ams.Principal'
    }

    It 'binds the Id of piped requests' {
        $null = [pscustomobject]@{ Id = 'a-7' } | Deny-AmsAccessRequest -ApproverSid 'S-1-5-21-1-2-3-1105' -Confirm:$false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'access|deny|--request-id|a-7|--approver-sid|S-1-5-21-1-2-3-1105'
    }

    It 'does not run ams under -WhatIf' {
        Deny-AmsAccessRequest -RequestId 'a-1' -ApproverSid 'S-1-5-21-1-2-3-1105' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'turns an ams refusal into an error record with its code' {
        Set-AmsStubResponse -Verb 'access deny' -Response @{ exitCode = 6; stderr = @{ error = @{ code = 'AMS-APR-0003'; kind = 'permission_denied'; message = 'The requester cannot approve or deny their own request.'; hint = 'Another of the rule''s approvers must decide.' } } }
        Deny-AmsAccessRequest -RequestId 'a-1' -ApproverSid 'S-1-5-21-1-2-3-1104' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AMS-APR-0003*'
    }
}
